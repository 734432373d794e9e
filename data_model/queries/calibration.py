"""Calibration: how a person's self-ratings compare with what everyone else's evidence shows.

Both sides go through the one mastery engine (`weigh` and `roll_up`, as of now), each over its
own share of the person's evidence:

- **self**: the records whose source kind is `self_report`;
- **others**: every other record except those still pending verification (a learner's own
  claim, not yet confirmed): managers' attestations, mentors, assessments, certificates,
  courses, projects, peers.

So the self side is the recency-weighted reading of the self-ratings and the other side is
mastery without them, on the same scale. Only the competencies someone rated themselves on can
be compared, so the other side reads just those (person, competency) pairs: in SQL, a fraction
of everyone's evidence. gap = self - others; a gap of at least half a level
(ratings come in half steps) either way is "high" or "low", else "aligned". Only competencies
with both sides are listed. Self-ratings are signals, never proof: this is the one place they
are shown on their own.
"""

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, CompoundSelect, Select, and_, select, tuple_, union, union_all
from sqlalchemy.orm import Session

from data_model.access import OPERATOR, Viewer, ensure_can_view, visible_people
from data_model.evidence_source import competency_rules, raw_evidence_query, read_raw_evidence
from data_model.mastery import PAIR, read_evidence, roll_up, weigh
from data_model.models import (
    ActivityCompetency,
    Competency,
    LearningRecord,
    Person,
    SourceKind,
    Verification,
)
from data_model.queries.evidence import read_frame
from data_model.queries.groups import group_ids

ALIGNED_WITHIN = 0.5
"""A self-rating within this much of the others' evidence is "aligned"."""
PERSON_COLUMNS = ["competency", "name", "self_rating", "self_records", "others_mastery",
                  "others_support", "others_records", "gap", "direction"]  # fmt: skip
GROUP_COLUMNS = ["competency", "name", "people", "mean_gap", "share_high", "share_low"]


def _direction(gap: np.ndarray) -> list[str]:
    return np.where(
        gap >= ALIGNED_WITHIN, "high", np.where(gap <= -ALIGNED_WITHIN, "low", "aligned")
    ).tolist()


def _rated_pairs(ids: Select | list[int]) -> CompoundSelect:
    """Every (person, competency) of the people with a self-report that is evidence of it,
    read leanly."""
    self_report = and_(
        LearningRecord.source_kind == SourceKind.SELF_REPORT,
        LearningRecord.verification != Verification.DECLINED,
        _person(ids).in_(ids),
    )
    named = select(LearningRecord.person_id, LearningRecord.competency_id).where(
        self_report, LearningRecord.competency_id.is_not(None)
    )
    tagged = (
        select(LearningRecord.person_id, ActivityCompetency.competency_id)
        .join(ActivityCompetency, ActivityCompetency.activity_id == LearningRecord.activity_id)
        .where(self_report, LearningRecord.competency_id.is_(None))
    )
    return union(named, tagged)


def _person(ids: Select | list[int]) -> ColumnElement[int]:
    """The record's person to match `ids` with. Among a large group (a subquery of people),
    `person_id + 0` keeps SQLite finding the self-reports by their source kind's index rather
    than looking up every person's records, several times faster."""
    return LearningRecord.person_id if isinstance(ids, list) else LearningRecord.person_id + 0


def _side_queries(ids: Select | list[int]) -> tuple[CompoundSelect, CompoundSelect]:
    """The raw evidence of each side: the people's self-reports, and the rest less what is
    pending, of only the (person, competency) pairs with a self-report (no other pair has both
    sides)."""
    parts = raw_evidence_query().selects
    own = union_all(*(
        part.where(LearningRecord.source_kind == SourceKind.SELF_REPORT, _person(ids).in_(ids))
        for part in parts
    ))  # fmt: skip
    others = union_all(*(
        part.where(
            LearningRecord.source_kind != SourceKind.SELF_REPORT,
            LearningRecord.verification != Verification.PENDING,
            LearningRecord.person_id.in_(ids),
            tuple_(LearningRecord.person_id, part.selected_columns.competency_id).in_(
                _rated_pairs(ids)
            ),
        )
        for part in parts
    ))  # fmt: skip
    return own, others


def _calibrate(session: Session, ids: Select | list[int]) -> pd.DataFrame:
    """Per person and competency with both sides: PAIR + PERSON_COLUMNS."""
    rules = competency_rules(session)
    own_query, others_query = _side_queries(ids)
    own_evidence = read_evidence(read_raw_evidence(session, own_query))
    if own_evidence.empty:
        return pd.DataFrame(columns=["person_id", "competency_id", *PERSON_COLUMNS])
    others_evidence = read_evidence(read_raw_evidence(session, others_query))
    now = datetime.now(UTC)
    columns = [*PAIR, "mastery", "support", "evidence_count"]
    own = roll_up(weigh(own_evidence, rules, now), rules)[columns]
    others = roll_up(weigh(others_evidence, rules, now), rules)[columns]
    both = own.merge(others, on=PAIR, suffixes=("_self", "_others")).dropna(
        subset=["mastery_self", "mastery_others"]
    )
    names = read_frame(
        session, select(Competency.id.label("competency_id"), Competency.code, Competency.name)
    )
    both = both.merge(names, on="competency_id")
    gap = both["mastery_self"].to_numpy(float) - both["mastery_others"].to_numpy(float)
    frame = pd.DataFrame(
        {
            "person_id": both["person_id"].astype(int),
            "competency_id": both["competency_id"].astype(int),
            "competency": both["code"],
            "name": both["name"],
            "self_rating": both["mastery_self"].astype(float),
            "self_records": both["evidence_count_self"].astype(int),
            "others_mastery": both["mastery_others"].astype(float),
            "others_support": both["support_others"].astype(float),
            "others_records": both["evidence_count_others"].astype(int),
            "gap": gap,
            "direction": _direction(gap),
        }
    )
    return frame.sort_values(["person_id", "competency"]).reset_index(drop=True)


def person_calibration(session: Session, viewer: Viewer, person_id: int) -> pd.DataFrame:
    """PERSON_COLUMNS, one row per competency the person has rated themselves on and has other
    evidence of, largest gap either way first."""
    ensure_can_view(session, viewer, person_id)
    frame = _calibrate(session, [person_id])
    order = frame["gap"].abs().sort_values(ascending=False, kind="stable").index
    return frame.loc[order, PERSON_COLUMNS].reset_index(drop=True)


def group_calibration(
    session: Session, viewer: Viewer, person_ids_select: Select[tuple[int]]
) -> pd.DataFrame:
    """GROUP_COLUMNS per competency, over the people of `person_ids_select` the viewer may
    see: how many have both sides, the mean gap, and the shares rating themselves high and low.
    Widest mean gap either way first. The viewer's scope is applied here, so
    `person_ids_select` must not carry one of its own (two recursive scope CTEs of the same name
    cannot share a statement): `calibration_of` builds it from filters."""
    ids = select(Person.id).where(
        Person.id.in_(person_ids_select), Person.id.in_(visible_people(viewer))
    )
    frame = _calibrate(session, ids)
    if frame.empty:
        return pd.DataFrame(columns=GROUP_COLUMNS)
    summary = (
        frame.assign(high=frame["direction"] == "high", low=frame["direction"] == "low")
        .groupby(["competency", "name"])
        .agg(
            people=("person_id", "nunique"),
            mean_gap=("gap", "mean"),
            share_high=("high", "mean"),
            share_low=("low", "mean"),
        )
        .reset_index()
    )
    order = summary["mean_gap"].abs().sort_values(ascending=False, kind="stable").index
    return summary.loc[order, GROUP_COLUMNS].reset_index(drop=True)


def calibration_of(session: Session, viewer: Viewer, **filters: Any) -> pd.DataFrame:
    """`group_calibration` over the people `groups.group_ids` keeps for these filters (job
    family, department, location, level, manager_id, all_levels), within the viewer's scope."""
    return group_calibration(session, viewer, group_ids(OPERATOR, **filters))
