"""Pathway progress for any group (the organisation rollup), cohorts for upskilling, and the
roles a person is closest to.

Group figures come from one bulk read of the materialised mastery table, support faded to now,
and the rules of `data_model.pathways`; no readiness history is computed, so a group's status
counts cannot include `stalled` (that needs each person's 90-day history: see
`progress.person_progress`). Everything is scoped to the people the viewer may see.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from data_model import pathways as rules_of
from data_model.access import Viewer, ensure_can_view, visible_people
from data_model.evidence_source import competency_rules
from data_model.models import JobFamily, PathwayLevel, Person
from data_model.queries.evidence import read_frame
from data_model.queries.mastery import NotFound
from data_model.queries.progress import (
    _band,
    _catalogue,
    _done,
    _gap_lists,
    _gaps,
    _mastery,
    _pathways,
    _people,
    standings,
)

PEOPLE_COLUMNS = [
    "person_id", "person", "name", "job_family", "department", "location", "title_level",
    "attained_level", "next_level", "readiness", "ready", "status", "at_risk",
    "working_above_title", "title_ahead_of_evidence", "gaps",
]  # fmt: skip
GAP_SUMMARY_COLUMNS = ["competency", "name", "people", "level_gaps", "evidence_gaps",
                       "mean_shortfall", "total_shortfall"]  # fmt: skip
NO_DEPARTMENT = "No department"


@dataclass(frozen=True)
class GroupProgress:
    people: pd.DataFrame
    """PEOPLE_COLUMNS, one row per active person in the group. `status` is the first of
    `pathways.STATUSES` that applies without the stall check; `gaps` counts the unmet
    requirements of the next level."""
    level_distribution: dict[str, int]
    """Attained level (as text, "none" without a pathway) -> people."""
    readiness_distribution: dict[str, int]
    """Readiness band (as `progress.group_figures` names them) -> people with a next level."""
    share_ready: float | None
    """People ready for their next level over people with a next level; None without any."""
    gap_matrix: pd.DataFrame
    """People (external id) x competency codes: what each next-level gap is missing, else NaN."""
    top_gaps: pd.DataFrame
    """GAP_SUMMARY_COLUMNS per competency that is a next-level gap for someone, most people
    held back first. people: whose next level it holds back; level_gaps / evidence_gaps: of
    those, short of the level / of support; mean_shortfall: mean of max(0, required - mastery)
    over those people (no evidence counting as the scale's minimum); total_shortfall: the sum."""
    top_gaps_by_size: pd.DataFrame
    """The same rows, largest mean shortfall first."""
    department_gaps: pd.DataFrame
    """Department x competency codes: the share of the department's people with a next level
    for whom that competency is a gap (0 where none), for heatmaps."""


def _members(session: Session, ids: Select) -> pd.DataFrame:
    statement = (
        select(
            Person.id.label("person_id"),
            Person.external_id,
            Person.name,
            Person.job_family_id,
            JobFamily.code.label("job_family"),
            Person.title_level,
            Person.department,
            Person.location,
        )
        .outerjoin(JobFamily, JobFamily.id == Person.job_family_id)
        .where(Person.id.in_(ids))
        .order_by(Person.name, Person.id)
    )
    return read_frame(session, statement)


def group_ids(
    viewer: Viewer,
    *,
    job_family: str | None = None,
    department: str | None = None,
    location: str | None = None,
    level: int | None = None,
    manager_id: int | None = None,
    all_levels: bool = True,
) -> Select[tuple[int]]:
    """Ids of the active people in scope that match every filter given. `level` is the title
    level; `manager_id` keeps everyone below that manager (`all_levels`) or their direct reports."""
    ids = select(Person.id).where(Person.active.is_(True), Person.id.in_(visible_people(viewer)))
    if job_family is not None:
        family = select(JobFamily.id).where(JobFamily.code == job_family)
        ids = ids.where(Person.job_family_id.in_(family))
    if department is not None:
        ids = ids.where(Person.department == department)
    if location is not None:
        ids = ids.where(Person.location == location)
    if level is not None:
        ids = ids.where(Person.title_level == level)
    if manager_id is not None:
        if all_levels:
            manager = Viewer(person_id=manager_id, email="", name="")
            ids = ids.where(Person.id.in_(visible_people(manager)), Person.id != manager_id)
        else:
            ids = ids.where(Person.manager_id == manager_id)
    return ids


def _evaluate_group(
    session: Session, members: pd.DataFrame, ids: Select
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per person (PEOPLE_COLUMNS) and the unmet next-level requirement rows, with shortfall.
    `ids` selects the same people as `members`, for SQL: far faster than a long IN list."""
    rules = competency_rules(session)
    pathways = _pathways(session)
    now = datetime.now(UTC)
    mastery = _mastery(session, ids, rules, None)
    standing = standings(members, pathways, mastery, rules, now)
    gaps = _gaps(standing.target_rows)
    scale_min = rules.frame["scale_min"].reindex(gaps["competency_id"]).to_numpy(float)
    value = np.where(np.isnan(gaps["mastery"].to_numpy(float)), scale_min, gaps["mastery"])
    gaps = gaps.assign(shortfall=np.maximum(0.0, gaps["required"].to_numpy(float) - value))
    person_ids = members["person_id"]
    attained = person_ids.map(standing.held["attained"])
    next_level = person_ids.map(standing.held["next_level"])
    readiness = person_ids.map(standing.readiness["readiness"])
    ready = person_ids.map(standing.readiness["ready"]).eq(True)
    at_risk = person_ids.map(standing.at_risk).eq(True)
    has_evidence = person_ids.isin(mastery["person_id"])
    title = members["title_level"].astype(float)
    status = [
        rules_of.status(has_pathway=level == level, has_evidence=evidence,
                        top=level == level and upcoming != upcoming, ready=is_ready,
                        at_risk=risky, stalled=False)
        for level, upcoming, evidence, is_ready, risky in zip(
            attained, next_level, has_evidence, ready, at_risk, strict=True)
    ]  # fmt: skip
    people = pd.DataFrame(
        {
            "person_id": person_ids.astype(int),
            "person": members["external_id"],
            "name": members["name"],
            "job_family": members["job_family"],
            "department": members["department"],
            "location": members["location"],
            "title_level": members["title_level"].astype("Int64"),
            "attained_level": attained.astype("Int64"),
            "next_level": next_level.astype("Int64"),
            "readiness": readiness.astype(float),
            "ready": ready,
            "status": status,
            "at_risk": at_risk,
            "working_above_title": (attained > title).to_numpy(bool),
            "title_ahead_of_evidence": (title > attained).to_numpy(bool),
            "gaps": person_ids.map(gaps.groupby("person_id").size()).fillna(0).astype(int),
        }
    )
    return people.reset_index(drop=True), gaps


def _gap_summary(gaps: pd.DataFrame) -> pd.DataFrame:
    if gaps.empty:
        return pd.DataFrame(columns=GAP_SUMMARY_COLUMNS)
    grouped = gaps.assign(level_gap=gaps["missing"] == rules_of.LEVEL).groupby(
        ["competency", "name"]
    )
    summary = pd.DataFrame(
        {
            "people": grouped["person_id"].nunique(),
            "level_gaps": grouped["level_gap"].sum().astype(int),
            "mean_shortfall": grouped["shortfall"].mean(),
            "total_shortfall": grouped["shortfall"].sum(),
        }
    ).reset_index()
    summary["evidence_gaps"] = summary["people"] - summary["level_gaps"]
    return summary[GAP_SUMMARY_COLUMNS]


def _department_gaps(people: pd.DataFrame, gaps: pd.DataFrame) -> pd.DataFrame:
    departments = people.set_index("person_id")["department"].fillna(NO_DEPARTMENT)
    with_next = people[people["next_level"].notna()]
    sizes = with_next["department"].fillna(NO_DEPARTMENT).value_counts()
    if gaps.empty or sizes.empty:
        return pd.DataFrame(index=sizes.index.rename("department"))
    counts = pd.crosstab(gaps["person_id"].map(departments), gaps["competency"])
    shares = counts.reindex(sizes.index, fill_value=0).div(sizes, axis=0)
    return shares.rename_axis(index="department", columns="competency").sort_index()


def _distribution(values: pd.Series) -> dict[str, int]:
    return {str(key): int(count) for key, count in values.value_counts(sort=False).items()}


def group_progress(
    session: Session,
    viewer: Viewer,
    *,
    job_family: str | None = None,
    department: str | None = None,
    location: str | None = None,
    level: int | None = None,
    manager_id: int | None = None,
    all_levels: bool = True,
) -> GroupProgress:
    """Pathway figures for the active people in scope matching every filter (see `group_ids`);
    with no filter, everyone the viewer may see. A manager outside the viewer's scope is
    refused with `NotPermitted`."""
    if manager_id is not None:
        ensure_can_view(session, viewer, manager_id)
    ids = group_ids(viewer, job_family=job_family, department=department, location=location,
                    level=level, manager_id=manager_id, all_levels=all_levels)  # fmt: skip
    members = _members(session, ids)
    people, gaps = _evaluate_group(session, members, ids)
    with_next = people[people["next_level"].notna()]
    pairs = zip(with_next["readiness"], with_next["ready"], strict=True)
    bands = [_band(value, is_ready) for value, is_ready in pairs]
    levels = people["attained_level"].astype(object).where(people["attained_level"].notna(), "none")
    summary = _gap_summary(gaps)
    gap_people = gaps["person_id"].map(people.set_index("person_id")["person"])
    matrix = (
        gaps.assign(person=gap_people).pivot(index="person", columns="competency", values="missing")
        if len(gaps)
        else pd.DataFrame()
    )
    return GroupProgress(
        people=people,
        level_distribution=_distribution(levels.astype(str)),
        readiness_distribution=_distribution(pd.Series(bands, dtype=object)),
        share_ready=float(with_next["ready"].mean()) if len(with_next) else None,
        gap_matrix=matrix.reindex(people["person"]).rename_axis(index="person"),
        top_gaps=summary.sort_values(["people", "competency"], ascending=[False, True])
        .reset_index(drop=True),
        top_gaps_by_size=summary.sort_values(["mean_shortfall", "competency"],
                                             ascending=[False, True]).reset_index(drop=True),
        department_gaps=_department_gaps(people, gaps),
    )  # fmt: skip


COHORT_COLUMNS = [
    "person", "name", "department", "location", "title_level", "attained_level", "next_level",
    "readiness", "ready", "required", "mastery", "support", "missing",
]  # fmt: skip


def cohort(
    session: Session,
    viewer: Viewer,
    job_family: str,
    min_readiness: float = 0.0,
    missing_competency: str | None = None,
) -> pd.DataFrame:
    """COHORT_COLUMNS: the active people in scope in `job_family` whose readiness for their
    next level is at least `min_readiness` and, when given, for whom competency code
    `missing_competency` is a gap of that level (required, mastery, support and missing then
    describe that gap). Highest readiness first."""
    if session.scalar(select(JobFamily.id).where(JobFamily.code == job_family)) is None:
        raise NotFound(f"No job family has the code '{job_family}'.")
    ids = group_ids(viewer, job_family=job_family)
    people, gaps = _evaluate_group(session, _members(session, ids), ids)
    chosen = people[people["readiness"].ge(min_readiness - rules_of.EPSILON)]
    if missing_competency is not None:
        wanted = gaps[gaps["competency"] == missing_competency]
        chosen = chosen.merge(wanted[["person_id", "required", "mastery", "support", "missing"]],
                              on="person_id")  # fmt: skip
    else:
        chosen = chosen.assign(required=np.nan, mastery=np.nan, support=np.nan, missing=None)
    return chosen.sort_values(["readiness", "name"], ascending=[False, True])[
        COHORT_COLUMNS
    ].reset_index(drop=True)


ROLE_COLUMNS = ["job_family", "job_family_name", "rank", "level", "readiness", "ready", "gaps",
                "catalogue_hours"]  # fmt: skip


def closest_roles(session: Session, viewer: Viewer, person_id: int, limit: int = 5) -> pd.DataFrame:
    """ROLE_COLUMNS: the levels of other job families the person is closest to, as for internal
    candidates (`progress.candidates`): readiness for that level's own requirements, its gaps
    (a tuple of `progress.Gap`) and the catalogue hours to close them (NaN when the catalogue
    cannot). Best readiness first; at equal readiness the higher level first."""
    ensure_can_view(session, viewer, person_id)
    person = _people(session, [person_id])
    rules = competency_rules(session)
    pathways = _pathways(session)
    now = datetime.now(UTC)
    levels = read_frame(
        session,
        select(
            PathwayLevel.job_family_id,
            PathwayLevel.rank,
            PathwayLevel.title.label("level"),
            JobFamily.code.label("job_family"),
            JobFamily.name.label("job_family_name"),
        ).join(JobFamily, JobFamily.id == PathwayLevel.job_family_id),
    )
    own_family = person["job_family_id"].iloc[0]
    levels = levels[levels["job_family_id"] != own_family]
    if levels.empty:
        return pd.DataFrame(columns=ROLE_COLUMNS)
    mastery = _mastery(session, [person_id], rules, None)
    targets = levels[["job_family_id", "rank"]].assign(person_id=person_id)
    assessed = rules_of.assess(targets, pathways, mastery, rules, now)
    keys = ["job_family_id", "rank"]
    scores = (
        assessed.assign(earned=assessed["weight"] * assessed["credit"])
        .groupby(keys)
        .agg(earned=("earned", "sum"), weight=("weight", "sum"), ready=("met", "all"))
    )
    levels = levels.merge(scores, on=keys, how="left")
    levels["readiness"] = (levels["earned"] / levels["weight"]).fillna(1.0)
    levels["ready"] = levels["ready"].fillna(True).astype(bool)
    done = _done(session, [person_id])
    catalogue = _catalogue(session)
    gaps, hours = [], []
    for family_id, rank in zip(levels["job_family_id"], levels["rank"], strict=True):
        unmet = _gaps(assessed[(assessed["job_family_id"] == family_id)
                               & (assessed["rank"] == rank)])  # fmt: skip
        gaps.append(_gap_lists(unmet).get(person_id, ()))
        cost = rules_of.catalogue_hours(unmet, catalogue, done)
        hours.append(float(cost.get(person_id, 0.0)) if len(unmet) else 0.0)
    levels = levels.assign(gaps=gaps, catalogue_hours=hours)
    ranked = levels.sort_values(["readiness", "rank", "job_family"],
                                ascending=[False, False, True])  # fmt: skip
    return ranked.head(limit)[ROLE_COLUMNS].reset_index(drop=True)
