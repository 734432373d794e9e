"""Mastery as the app and the command line read it: one person's competencies, the explanation
of one number, and its history. Computed live from the records through the one engine path,
so any as-of date and any method can be asked for; scoped by the access rules first.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from data_model.access import Viewer, ensure_can_view
from data_model.evidence_source import competency_rules, raw_evidence_query, read_raw_evidence
from data_model.mastery import (
    RESULT_COLUMNS,
    SOURCE_KINDS,
    VERIFICATIONS,
    CompetencyRules,
    aged_support,
    explain_evidence,
    read_evidence,
    roll_up,
    summarise,
    vocabulary_names,
    weigh,
)
from data_model.models import Competency, MasteryScore, Person

SUMMARY_COLUMNS = [
    "competency",
    "name",
    "category",
    "mastery",
    "level",
    "support",
    "confidence",
    "met_proficient",
    "evidence_count",
    "last_evidence_at",
]


class NotFound(LookupError):
    """A person or competency that the database does not hold; the message names it."""


def end_of_day(day: date) -> datetime:
    """Evidence shown on the as-of date counts: the day is read up to its last moment."""
    return datetime.combine(day, time.max, tzinfo=UTC)


def find_person(session: Session, key: str) -> int:
    """The id of the person whose external id or email is `key`."""
    person_id = session.scalar(
        select(Person.id).where(
            or_(Person.external_id == key, func.lower(Person.email) == key.strip().lower())
        )
    )
    if person_id is None:
        raise NotFound(f"No person has the id or email '{key}'.")
    return person_id


def find_competency(session: Session, code: str) -> int:
    competency_id = session.scalar(select(Competency.id).where(Competency.code == code))
    if competency_id is None:
        raise NotFound(f"No competency has the code '{code}'.")
    return competency_id


def _weighted(
    session: Session,
    person_ids: list[int],
    as_of: datetime,
    method: str | None,
    competency_id: int | None = None,
) -> tuple[pd.DataFrame, CompetencyRules]:
    rules = competency_rules(session, method)
    raw = read_raw_evidence(session, raw_evidence_query(person_ids, competency_id))
    return weigh(read_evidence(raw), rules, as_of), rules


def _competency_names(session: Session) -> pd.DataFrame:
    rows = session.execute(
        select(Competency.id, Competency.code, Competency.name, Competency.category)
    ).all()
    return pd.DataFrame(
        [(i, code, name, str(category)) for i, code, name, category in rows],
        columns=["competency_id", "competency", "name", "category"],
    )


def _materialised(
    session: Session, person_ids: list[int], rules: CompetencyRules, now: datetime
) -> pd.DataFrame:
    """Current mastery from the materialised table, its support faded to `now`."""
    query = select(
        MasteryScore.person_id, MasteryScore.competency_id, MasteryScore.method,
        MasteryScore.mastery, MasteryScore.evidence_count, MasteryScore.last_evidence_at,
        MasteryScore.p_levels, MasteryScore.support_levels, MasteryScore.as_of,
    ).where(MasteryScore.person_id.in_(person_ids))  # fmt: skip
    result = session.execute(query)
    frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    if frame.empty:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    frame["mastery"] = frame["mastery"].astype(float)
    days = np.array([(now - as_of).total_seconds() / 86_400 for as_of in frame["as_of"]])
    support = aged_support(frame["support_levels"], frame["competency_id"], rules, days)
    return summarise(frame.drop(columns=["as_of", "support_levels"]), support, rules)


def people_mastery(
    session: Session,
    viewer: Viewer,
    person_ids: list[int],
    as_of: datetime | None = None,
    method: str | None = None,
    competency_id: int | None = None,
) -> pd.DataFrame:
    """One row per person and competency with usable evidence: person_id + SUMMARY_COLUMNS.

    Without an as-of date or a method this is the current mastery, read from the materialised
    table; otherwise it is computed from the records as of that date, by that method.
    """
    for person_id in person_ids:
        ensure_can_view(session, viewer, person_id)
    if as_of is None and method is None:
        rules = competency_rules(session)
        result = _materialised(session, person_ids, rules, datetime.now(UTC))
        if competency_id is not None:
            result = result[result["competency_id"] == competency_id]
    else:
        weighted, rules = _weighted(
            session, person_ids, as_of or datetime.now(UTC), method, competency_id
        )
        result = roll_up(weighted, rules)
    result = result.merge(_competency_names(session), on="competency_id")
    columns = ["person_id", *SUMMARY_COLUMNS]
    return result[columns].sort_values(["person_id", "competency"]).reset_index(drop=True)


def person_mastery(
    session: Session,
    viewer: Viewer,
    person_id: int,
    as_of: datetime | None = None,
    method: str | None = None,
    competency_id: int | None = None,
) -> pd.DataFrame:
    """One row per competency the person has usable evidence for (SUMMARY_COLUMNS)."""
    result = people_mastery(session, viewer, [person_id], as_of, method, competency_id)
    return result[SUMMARY_COLUMNS]


@dataclass(frozen=True)
class Explanation:
    summary: dict
    """The numbers shown for the pair (SUMMARY_COLUMNS); empty without usable evidence."""
    evidence: pd.DataFrame
    """Every piece of evidence with value, trust, recency, weight, relevant levels, share."""


def explain_mastery(
    session: Session,
    viewer: Viewer,
    person_id: int,
    competency_id: int,
    as_of: datetime | None = None,
    method: str | None = None,
) -> Explanation:
    ensure_can_view(session, viewer, person_id)
    as_of = as_of or datetime.now(UTC)
    weighted, rules = _weighted(session, [person_id], as_of, method, competency_id)
    summary = roll_up(weighted, rules).merge(_competency_names(session), on="competency_id")
    evidence = explain_evidence(weighted, rules)
    for column, vocabulary in (("source_kind", SOURCE_KINDS), ("verification", VERIFICATIONS)):
        evidence[column] = vocabulary_names(evidence[column], vocabulary)
    return Explanation(
        summary=summary[SUMMARY_COLUMNS].iloc[0].to_dict() if len(summary) else {},
        evidence=evidence,
    )


def month_ends(as_of: date, months: int) -> list[date]:
    """The last day of each of the `months` months up to and including as_of's month."""
    ends = []
    first_of_month = as_of.replace(day=1)
    for _ in range(months):
        ends.append(min(as_of, (first_of_month + timedelta(days=32)).replace(day=1)
                        - timedelta(days=1)))  # fmt: skip
        first_of_month = (first_of_month - timedelta(days=1)).replace(day=1)
    return sorted(ends)


def mastery_history(
    session: Session,
    viewer: Viewer,
    person_id: int,
    as_of: date | None = None,
    months: int = 12,
    method: str | None = None,
) -> pd.DataFrame:
    """Mastery as of the end of each month: columns month, competency, mastery, support."""
    ensure_can_view(session, viewer, person_id)
    as_of = as_of or datetime.now(UTC).date()
    rules = competency_rules(session, method)
    evidence = read_evidence(read_raw_evidence(session, raw_evidence_query([person_id])))
    names = _competency_names(session)
    frames = []
    for month_end in month_ends(as_of, months):
        result = roll_up(weigh(evidence, rules, end_of_day(month_end)), rules)
        frames.append(result.assign(month=month_end))
    history = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if history.empty:
        return pd.DataFrame(columns=["month", "competency", "mastery", "support"])
    history = history.merge(names, on="competency_id")
    return history[["month", "competency", "mastery", "support"]]
