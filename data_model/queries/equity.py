"""Progression equity: readiness and level-up rates by a roster attribute.

These are differences between groups, not their causes. Every group of fewer than
MINIMUM_GROUP people is shown as "fewer than 5": its row keeps the group's name and nothing
else, so no one can be singled out.

- people: the active people in scope in the group.
- mean_readiness, share_ready: over those with a next level on their pathway (current
  mastery, as `groups.group_progress` computes it).
- level_up_rate: over those with a pathway, the share whose attained level now is above the
  level their evidence gave them as of LOOKBACK_DAYS ago (mastery computed live from the
  records as of then, against their current job family's pathway).
Each figure whose own denominator is under MINIMUM_GROUP is left out (None) as well.
"""

from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import Select, select, union_all
from sqlalchemy.orm import Session

from data_model.access import Viewer
from data_model.evidence_source import competency_rules, raw_evidence_query, read_raw_evidence
from data_model.mastery import PAIR, read_evidence
from data_model.models import LearningRecord, Person
from data_model.queries.groups import _evaluate_group, _members, group_ids
from data_model.queries.mastery import end_of_day
from data_model.queries.pathway_mastery import mastery_series
from data_model.queries.progress import _pathways, standings

MINIMUM_GROUP = 5
LOOKBACK_DAYS = 365
NOT_RECORDED = "Not recorded"
FEWER_THAN = f"fewer than {MINIMUM_GROUP}"
COLUMNS = ["group", "people", "mean_readiness", "share_ready", "level_up_rate", "suppressed"]
ROSTER_ATTRIBUTES = ("department", "location")


class UnknownAttribute(LookupError):
    """Not a roster column nor a key of anyone's imported attributes."""


def equity_attributes(session: Session) -> list[str]:
    """department, location, then every key of the imported attributes that holds plain
    values (text, numbers, yes/no), sorted. Only the names: no one's values leave here."""
    keys: set[str] = set()
    for (attributes,) in session.execute(select(Person.attributes)):
        for key, value in (attributes or {}).items():
            if isinstance(value, str | int | float | bool):
                keys.add(str(key))
    return [*ROSTER_ATTRIBUTES, *sorted(keys - set(ROSTER_ATTRIBUTES))]


def _attribute_values(session: Session, attribute: str, ids: Select) -> pd.Series:
    """person_id -> the attribute's value as text, NOT_RECORDED when missing."""
    if attribute in ROSTER_ATTRIBUTES:
        column = getattr(Person, attribute)
    else:
        column = Person.attributes[attribute].as_string()
    rows = session.execute(select(Person.id, column).where(Person.id.in_(ids))).all()
    values = {person_id: NOT_RECORDED if value in (None, "") else str(value)
              for person_id, value in rows}  # fmt: skip
    return pd.Series(values, dtype=object)


def _level_ups(
    session: Session, ids: Select, members: pd.DataFrame, attained_now: pd.Series
) -> pd.Series:
    """person_id -> 1.0 when the attained level rose over LOOKBACK_DAYS, else 0.0 (people with
    a pathway only).

    Mastery as of the end of the day LOOKBACK_DAYS ago comes from the records shown by then
    (read in one query, the people as the subquery `ids`) through `mastery_series`, for just
    the competencies their job family's pathway requires."""
    rules = competency_rules(session)
    pathways = _pathways(session)
    then = (datetime.now(UTC) - timedelta(days=LOOKBACK_DAYS)).date()
    shown_by_then = LearningRecord.occurred_at <= end_of_day(then)
    query = union_all(*(part.where(shown_by_then) for part in raw_evidence_query(ids).selects))
    evidence = read_evidence(read_raw_evidence(session, query))
    pairs = (
        members[["person_id", "job_family_id"]]
        .merge(pathways.requirements[["job_family_id", "competency_id"]], on="job_family_id")[PAIR]
        .drop_duplicates()
        .reset_index(drop=True)
    )
    mastery, support = mastery_series(evidence, pairs, rules, [then])
    found = pairs.assign(
        mastery=mastery[:, 0], support_levels=list(support[:, 0, :]), last_evidence_at=pd.NaT
    )
    found = found[found["mastery"].notna()]
    before = standings(members, pathways, found, rules, end_of_day(then)).held["attained"]
    now = attained_now.dropna()
    return (now > before.reindex(now.index).fillna(0)).astype(float)


def _share(values: pd.Series) -> float | None:
    return float(values.mean()) if len(values) >= MINIMUM_GROUP else None


def equity_basis(
    session: Session, viewer: Viewer, people: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per active person in scope (index person_id): next_level, readiness and ready now, and
    levelled_up (1.0 or 0.0 over LOOKBACK_DAYS, NaN without a pathway). Everything a
    comparison needs but the attribute, so a caller can keep it and compare by one attribute
    after another.

    `people`: `groups.group_progress(session, viewer).people`, with no filters, when the
    caller already has it (it is this same pathway roll-up of the same people); else it is
    worked out here."""
    ids = group_ids(viewer)
    members = _members(session, ids)
    if people is None:
        people, _gaps = _evaluate_group(session, members, ids)
    people = people.set_index("person_id")
    rose = _level_ups(session, ids, members, people["attained_level"].astype(float))
    return people[["next_level", "readiness", "ready"]].assign(
        levelled_up=rose.reindex(people.index)
    )


def progression_equity(
    session: Session, viewer: Viewer, attribute: str, basis: pd.DataFrame | None = None
) -> pd.DataFrame:
    """COLUMNS, one row per value of `attribute` (see `equity_attributes`) among the active
    people the viewer may see, largest group first; NOT_RECORDED gathers those without one.
    Suppressed rows carry only the group's name. `basis`: `equity_basis` for this viewer,
    when kept from an earlier comparison."""
    if attribute not in equity_attributes(session):
        raise UnknownAttribute(f"No roster attribute is called '{attribute}'.")
    if basis is None:
        basis = equity_basis(session, viewer)
    groups = _attribute_values(session, attribute, group_ids(viewer)).reindex(basis.index)
    rows = []
    for name, group in basis.groupby(groups.fillna(NOT_RECORDED), sort=False):
        with_next = group[group["next_level"].notna()]
        if len(group) < MINIMUM_GROUP:
            rows.append((name, None, None, None, None, True))
            continue
        rows.append((
            name, len(group), _share(with_next["readiness"]), _share(with_next["ready"]),
            _share(group["levelled_up"].dropna()), False,
        ))  # fmt: skip
    frame = pd.DataFrame(rows, columns=COLUMNS).astype({"people": "Int64"})
    order = frame.assign(size=frame["people"].fillna(0)).sort_values(
        ["suppressed", "size", "group"], ascending=[True, False, True]
    )
    return order[COLUMNS].reset_index(drop=True)
