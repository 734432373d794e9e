"""Progress along career pathways, scoped to what the viewer may see: one person, a manager's
team with its group figures, and candidates for a role. The rules are in `data_model.pathways`.

Current progress reads the materialised mastery (support faded to now); with an as-of date it
is computed live. The readiness history reads the team's evidence once and weighs it as of each
month end through the engine (the same path as `people_mastery(..., as_of=end_of_day(...))`,
which does not return the per-level support the rules need).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from data_model import pathways as rules_of
from data_model.access import Viewer, ensure_can_view, visible_people
from data_model.evidence_source import competency_rules, raw_evidence_query, read_raw_evidence
from data_model.mastery import PAIR, CompetencyRules, read_evidence
from data_model.models import (
    Activity,
    ActivityCompetency,
    Competency,
    JobFamily,
    LearningRecord,
    LevelRequirement,
    PathwayLevel,
    Person,
)
from data_model.pathways import Recommendation
from data_model.queries.evidence import read_frame
from data_model.queries.mastery import NotFound, month_ends
from data_model.queries.pathway_mastery import current_mastery, mastery_as_of, mastery_series

HISTORY_MONTHS = 12
STALL = rules_of.STALL_DAYS


@dataclass(frozen=True)
class Gap:
    competency: str
    name: str
    required: float
    mastery: float | None
    support: float
    missing: str


@dataclass(frozen=True)
class Progress:
    person_id: int
    person: str
    """External id."""
    name: str
    job_family: str | None
    title_level: int | None
    attained_level: int | None
    next_level: int | None
    readiness: float | None
    ready: bool
    status: str
    working_above_title: bool
    title_ahead_of_evidence: bool
    at_risk: bool
    stalled: bool
    gaps: tuple[Gap, ...]
    velocity_per_month: float | None
    forecast_ready: str | None
    forecast_range: tuple[str | None, str | None]
    readiness_history: tuple[tuple[str, float], ...]
    recommendations: tuple[Recommendation, ...]


@dataclass(frozen=True)
class TeamProgress:
    people: tuple[Progress, ...]
    level_distribution: dict[str, int]
    """Attained level (as text, "none" without a pathway) -> people."""
    readiness_distribution: dict[str, int]
    """Readiness band for the next level -> people; people without a next level are left out."""
    share_ready: float | None
    """Ready people over people with a next level."""
    gap_matrix: pd.DataFrame
    """People (external id) x competency codes: what each next-level gap is missing."""


def _pathways(session: Session) -> rules_of.Pathways:
    levels = read_frame(
        session, select(PathwayLevel.job_family_id, PathwayLevel.rank, PathwayLevel.title)
    )
    statement = (
        select(
            PathwayLevel.job_family_id,
            PathwayLevel.rank,
            LevelRequirement.competency_id,
            Competency.code.label("competency"),
            Competency.name,
            LevelRequirement.required_level.label("required"),
            LevelRequirement.weight,
            LevelRequirement.critical,
        )
        .join(PathwayLevel, PathwayLevel.id == LevelRequirement.level_id)
        .join(Competency, Competency.id == LevelRequirement.competency_id)
    )
    requirements = read_frame(session, statement).astype({"critical": bool})
    return rules_of.Pathways(levels=levels, requirements=requirements)


def _people(session: Session, ids: Select | list[int]) -> pd.DataFrame:
    statement = (
        select(
            Person.id.label("person_id"),
            Person.external_id,
            Person.name,
            Person.job_family_id,
            JobFamily.code.label("job_family"),
            Person.title_level,
        )
        .outerjoin(JobFamily, JobFamily.id == Person.job_family_id)
        .where(Person.id.in_(ids))
        .order_by(Person.name, Person.id)
    )
    return read_frame(session, statement)


def _catalogue(session: Session) -> pd.DataFrame:
    statement = select(
        Activity.id.label("activity_id"),
        Activity.title,
        Activity.hours,
        ActivityCompetency.competency_id,
        ActivityCompetency.target_level,
    ).join(ActivityCompetency, ActivityCompetency.activity_id == Activity.id)
    return read_frame(session, statement)


def _done(session: Session, ids: list[int]) -> pd.DataFrame:
    statement = (
        select(LearningRecord.person_id, LearningRecord.activity_id)
        .where(
            LearningRecord.person_id.in_(ids),
            LearningRecord.activity_id.is_not(None),
            or_(LearningRecord.completed.is_(True), LearningRecord.passed.is_(True)),
        )
        .distinct()
    )
    return read_frame(session, statement)


def _mastery(
    session: Session, ids: Select | list[int], rules: CompetencyRules, as_of: datetime | None
) -> pd.DataFrame:
    if as_of is None:
        return current_mastery(session, ids, rules, datetime.now(UTC))
    return mastery_as_of(session, ids, rules, as_of)


def _history(
    session: Session,
    targets: pd.DataFrame,
    requirements: pd.DataFrame,
    rules: CompetencyRules,
    days: list[date],
) -> pd.DataFrame:
    """Readiness for each target's level as of the end of each of `days`: people x days.
    `requirements`: the `pathways.assess` rows of those levels."""
    ids = targets["person_id"].tolist()
    pairs = requirements[PAIR].drop_duplicates().reset_index(drop=True)
    evidence = read_evidence(read_raw_evidence(session, raw_evidence_query(ids)))
    mastery, support = mastery_series(evidence, pairs, rules, days)
    series = _readiness_series(requirements, pairs, mastery, support, rules, days)
    return series.reindex(pd.Index(ids, name="person_id"), fill_value=1.0)


def _readiness_series(
    requirements: pd.DataFrame,
    pairs: pd.DataFrame,
    mastery: np.ndarray,
    support_levels: np.ndarray,
    rules: CompetencyRules,
    days: list[date],
) -> pd.DataFrame:
    """Readiness per person (rows) and day (columns) from mastery (pairs x days) and support
    (pairs x days x levels), by the rules of `pathways.judge`."""
    rows = requirements.merge(pairs.assign(pair=np.arange(len(pairs))), on=PAIR)
    code = rows["pair"].to_numpy(int)
    settings = rules.frame.reindex(rows["competency_id"])
    required = rows["required"].to_numpy(float)[:, None]
    level = np.ceil(required[:, 0] - rules_of.EPSILON).astype(int)
    on_scale = (level >= 1) & (level <= support_levels.shape[2])
    support = np.zeros((len(rows), len(days)))
    support[on_scale] = support_levels[code[on_scale], :, level[on_scale] - 1]
    trivial = required <= settings["scale_min"].to_numpy(float)[:, None] + rules_of.EPSILON
    _reached, _met, credit = rules_of.judge(
        required,
        mastery[code],
        support,
        settings["minimum_support"].to_numpy(float)[:, None],
        trivial,
        rows["critical"].to_numpy(bool)[:, None],
    )
    weight = rows["weight"].to_numpy(float)
    people, person = np.unique(rows["person_id"].to_numpy(int), return_inverse=True)
    earned = np.zeros((len(people), len(days)))
    np.add.at(earned, person, weight[:, None] * credit)
    totals = np.bincount(person, weights=weight, minlength=len(people))
    return pd.DataFrame(earned / totals[:, None], index=people, columns=days)


def _gaps(assessed: pd.DataFrame) -> pd.DataFrame:
    return assessed[~assessed["met"]].sort_values(["person_id", "competency"])


def _gap_lists(gaps: pd.DataFrame) -> dict[int, tuple[Gap, ...]]:
    lists: dict[int, list[Gap]] = {}
    for row in gaps[["person_id", *GAP_COLUMNS]].to_dict("records"):
        gap = Gap(row["competency"], row["name"], float(row["required"]),
                  _optional(row["mastery"]), float(row["support"]), row["missing"])  # fmt: skip
        lists.setdefault(int(row["person_id"]), []).append(gap)
    return {person_id: tuple(found) for person_id, found in lists.items()}


GAP_COLUMNS = ["competency", "name", "required", "mastery", "support", "missing"]


def _optional(value: object) -> float | None:
    return None if value is None or value != value else float(value)  # type: ignore[arg-type]


@dataclass(frozen=True)
class _Trend:
    trend: rules_of.Trend
    stalled: bool
    points: tuple[tuple[str, float], ...]


NO_TREND = _Trend(rules_of.Trend(None, None, (None, None)), False, ())


def _trends(series: pd.DataFrame, current: dict[int, float], today: date) -> dict[int, _Trend]:
    """Per person of `series` (people x days, from `_history`): velocity and forecast over the
    month ends, and stalled: readiness today no higher than STALL days ago."""
    months = month_ends(today, HISTORY_MONTHS)
    before = today - timedelta(days=STALL)
    trends = {}
    for person_id, row in series.iterrows():
        values = row[months].to_numpy(float)
        trends[int(person_id)] = _Trend(
            trend=rules_of.trend(months, values, current[int(person_id)], today),
            stalled=bool(row[today] - row[before] <= rules_of.EPSILON),
            points=tuple((day.isoformat(), round(float(value), 4))
                         for day, value in zip(months, values, strict=True)),
        )  # fmt: skip
    return trends


@dataclass(frozen=True)
class Standing:
    """Where a set of people stand on their own job family's pathway, without history."""

    held: pd.DataFrame
    """Per person with a pathway (index): attained, next_level (NaN at the top)."""
    targets: pd.DataFrame
    """The people with a next level: person_id, job_family_id, rank (the next level)."""
    target_rows: pd.DataFrame
    """`pathways.assess` rows of each person's next level."""
    readiness: pd.DataFrame
    """Per target person (index): readiness, ready."""
    at_risk: pd.Series
    """Per person with a pathway: a met requirement up to the next level is fading."""


def standings(
    people: pd.DataFrame,
    pathways: rules_of.Pathways,
    mastery: pd.DataFrame,
    rules: CompetencyRules,
    now: datetime,
) -> Standing:
    """The rules of `data_model.pathways` applied to everyone in `people` at once."""
    with_family = people[people["job_family_id"].isin(pathways.levels["job_family_id"])]
    assessed = rules_of.assess(with_family, pathways, mastery, rules, now)
    held = rules_of.held_levels(with_family, pathways, assessed)
    nexts = held["next_level"].dropna()
    targets = with_family.assign(rank=with_family["person_id"].map(nexts)).dropna(subset=["rank"])
    targets = targets[["person_id", "job_family_id", "rank"]]
    target_rows = assessed.astype({"rank": float}).merge(
        targets[["person_id", "rank"]].astype({"rank": float}), on=["person_id", "rank"]
    )
    risky = assessed[assessed["rank"] <= assessed["person_id"].map(nexts).fillna(np.inf)]
    return Standing(
        held=held,
        targets=targets,
        target_rows=target_rows,
        readiness=rules_of.readiness(target_rows, targets["person_id"]),
        at_risk=risky.groupby("person_id")["at_risk"].any(),
    )


def _evaluate(
    session: Session, people: pd.DataFrame, as_of: datetime | None, history: bool = True
) -> list[Progress]:
    """Progress for all of `people` (from `_people`) at once; history adds the readiness series,
    velocity, forecast and the stalled check."""
    ids = people["person_id"].tolist()
    rules = competency_rules(session)
    pathways = _pathways(session)
    now = as_of or datetime.now(UTC)
    mastery = _mastery(session, ids, rules, as_of)
    standing = standings(people, pathways, mastery, rules, now)
    held, targets, target_rows = standing.held, standing.targets, standing.target_rows
    nexts = held["next_level"].dropna()
    ready = standing.readiness.to_dict("index")
    at_risk = standing.at_risk.to_dict()
    gaps = _gaps(target_rows)
    steps = rules_of.recommend(gaps, _catalogue(session), _done(session, ids))
    today = now.date()
    trends: dict[int, _Trend] = {}
    if history and len(targets):
        days = sorted({*month_ends(today, HISTORY_MONTHS), today - timedelta(days=STALL)})
        series = _history(session, targets, target_rows, rules, days)
        current = {person_id: values["readiness"] for person_id, values in ready.items()}
        trends = _trends(series, current, today)
    has_evidence = set(mastery["person_id"].astype(int))
    gap_lists = _gap_lists(gaps)
    levels, next_ranks = held["attained"].to_dict(), nexts.to_dict()
    results = []
    for person in people.to_dict("records"):
        pid = int(person["person_id"])
        level = int(levels[pid]) if pid in levels else None
        next_level = int(next_ranks[pid]) if pid in next_ranks else None
        readiness = ready.get(pid, {"readiness": None, "ready": False})
        title = _optional(person["title_level"])
        title = None if title is None else int(title)
        trend = trends.get(pid, NO_TREND)
        flag_risk = bool(at_risk.get(pid, False))
        status = rules_of.status(
            has_pathway=level is not None,
            has_evidence=pid in has_evidence,
            top=level is not None and next_level is None,
            ready=bool(readiness["ready"]),
            at_risk=flag_risk,
            stalled=trend.stalled,
        )
        results.append(
            Progress(
                person_id=pid,
                person=person["external_id"],
                name=person["name"],
                job_family=person["job_family"],
                title_level=title,
                attained_level=level,
                next_level=next_level,
                readiness=_optional(readiness["readiness"]),
                ready=bool(readiness["ready"]),
                status=status,
                working_above_title=None not in (level, title) and level > title,
                title_ahead_of_evidence=None not in (level, title) and title > level,
                at_risk=flag_risk,
                stalled=trend.stalled,
                gaps=gap_lists.get(pid, ()),
                velocity_per_month=trend.trend.velocity,
                forecast_ready=trend.trend.forecast,
                forecast_range=trend.trend.forecast_range,
                readiness_history=trend.points,
                recommendations=tuple(steps.get(pid, ())),
            )
        )
    return results


def person_progress(
    session: Session, viewer: Viewer, person_id: int, as_of: datetime | None = None
) -> Progress:
    """One person's progress; `as_of` computes it live as of that moment."""
    ensure_can_view(session, viewer, person_id)
    return _evaluate(session, _people(session, [person_id]), as_of)[0]


READINESS_BANDS = ((0.25, "0-25%"), (0.5, "25-50%"), (0.75, "50-75%"), (1.0, "75-99%"))


def _band(readiness: float, ready: bool) -> str:
    if ready:
        return "ready"
    return next((name for top, name in READINESS_BANDS if readiness < top), "100% (support short)")


def group_figures(people: list[Progress]) -> TeamProgress:
    levels: dict[str, int] = {}
    bands: dict[str, int] = {}
    matrix: dict[str, dict[str, str]] = {}
    for progress in people:
        key = "none" if progress.attained_level is None else str(progress.attained_level)
        levels[key] = levels.get(key, 0) + 1
        if progress.readiness is not None:
            band = _band(progress.readiness, progress.ready)
            bands[band] = bands.get(band, 0) + 1
        matrix[progress.person] = {gap.competency: gap.missing for gap in progress.gaps}
    with_next = [p for p in people if p.next_level is not None]
    return TeamProgress(
        people=tuple(people),
        level_distribution=levels,
        readiness_distribution=bands,
        share_ready=sum(p.ready for p in with_next) / len(with_next) if with_next else None,
        gap_matrix=pd.DataFrame.from_dict(matrix, orient="index").reindex(
            [p.person for p in people]
        ),
    )


def team_progress(
    session: Session,
    viewer: Viewer,
    manager_id: int,
    all_levels: bool = False,
    history: bool = True,
) -> TeamProgress:
    """Progress of a manager's active direct reports (or everyone below them with
    `all_levels`), with group figures. A manager without reports gets an empty team."""
    ensure_can_view(session, viewer, manager_id)
    if all_levels:
        manager = Viewer(person_id=manager_id, email="", name="")
        below = visible_people(manager).where(Person.id != manager_id)
    else:
        below = select(Person.id).where(Person.manager_id == manager_id)
    ids = (
        select(Person.id)
        .where(Person.id.in_(below), Person.active.is_(True))
        .where(Person.id.in_(visible_people(viewer)))
    )
    people = _people(session, ids)
    return group_figures(_evaluate(session, people, None, history) if len(people) else [])


@dataclass(frozen=True)
class Candidate:
    person: str
    name: str
    job_family: str | None
    readiness: float
    ready: bool
    gaps: tuple[Gap, ...]
    catalogue_hours: float | None
    """Catalogue hours to close the level gaps (see `pathways.catalogue_hours`); None when the
    catalogue cannot close one."""


def candidates(
    session: Session, viewer: Viewer, family_code: str, rank: int, limit: int = 10
) -> list[Candidate]:
    """Everyone the viewer may see, ranked by readiness for one level of a job family (that
    level's own requirements, as for a next level), best first; people already in that family
    at that level or above are left out."""
    family_id = session.scalar(select(JobFamily.id).where(JobFamily.code == family_code))
    if family_id is None:
        raise NotFound(f"No job family has the code '{family_code}'.")
    people = _people(session, visible_people(viewer))
    rules = competency_rules(session)
    pathways = _pathways(session)
    if not (
        (pathways.levels["job_family_id"] == family_id) & (pathways.levels["rank"] == rank)
    ).any():
        raise NotFound(f"Job family '{family_code}' has no level {rank}.")
    ids = people["person_id"].tolist()
    mastery = _mastery(session, visible_people(viewer), rules, None)
    now = datetime.now(UTC)
    own = people[people["job_family_id"] == family_id]
    held = rules_of.held_levels(own, pathways, rules_of.assess(own, pathways, mastery, rules, now))
    people = people[~people["person_id"].isin(held.index[held["attained"] >= rank])]
    targets = people[["person_id"]].assign(job_family_id=family_id, rank=rank)
    assessed = rules_of.assess(targets, pathways, mastery, rules, now)
    scores = rules_of.readiness(assessed, targets["person_id"])
    gaps = _gaps(assessed)
    hours = rules_of.catalogue_hours(gaps, _catalogue(session), _done(session, ids))
    ranked = (
        people.assign(
            readiness=people["person_id"].map(scores["readiness"]),
            ready=people["person_id"].map(scores["ready"]),
        )
        .sort_values(["readiness", "name"], ascending=[False, True])
        .head(limit)
    )
    gap_lists = _gap_lists(gaps)
    return [
        Candidate(
            person=row.external_id,
            name=row.name,
            job_family=row.job_family,
            readiness=float(row.readiness),
            ready=bool(row.ready),
            gaps=gap_lists.get(int(row.person_id), ()),
            catalogue_hours=_optional(hours.get(row.person_id, 0.0)),
        )
        for row in ranked.itertuples(index=False)
    ]
