"""Calibration: how a person's self-ratings compare with what everyone else's evidence shows.

Both sides go through the one mastery engine (`weigh` and `roll_up`, as of now), each over its
own share of the person's evidence:

- **self**: the records whose source kind is `self_report`;
- **others**: every other record except those still pending verification (a learner's own
  claim, not yet confirmed): managers' attestations, mentors, assessments, certificates,
  courses, projects, peers.

So the self side is the recency-weighted reading of the self-ratings and the other side is
mastery without them, on the same scale. gap = self - others; a gap of at least half a level
(ratings come in half steps) either way is "high" or "low", else "aligned". Only competencies
with both sides are listed. Self-ratings are signals, never proof: this is the one place they
are shown on their own.
"""

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from data_model.access import OPERATOR, Viewer, ensure_can_view, visible_people
from data_model.evidence_source import competency_rules, raw_evidence_query, read_raw_evidence
from data_model.mastery import PAIR, SOURCE_KINDS, VERIFICATIONS, read_evidence, roll_up, weigh
from data_model.models import Competency, Person, SourceKind, Verification
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


def _calibrate(session: Session, ids: Select | list[int]) -> pd.DataFrame:
    """Per person and competency with both sides: PAIR + PERSON_COLUMNS."""
    rules = competency_rules(session)
    evidence = read_evidence(read_raw_evidence(session, raw_evidence_query(ids)))
    if evidence.empty:
        return pd.DataFrame(columns=["person_id", "competency_id", *PERSON_COLUMNS])
    weighted = weigh(evidence, rules, datetime.now(UTC))
    is_self = weighted["source_kind"] == SOURCE_KINDS.index(SourceKind.SELF_REPORT)
    pending = weighted["verification"] == VERIFICATIONS.index(Verification.PENDING)
    columns = [*PAIR, "mastery", "support", "evidence_count"]
    own = roll_up(weighted[is_self], rules)[columns]
    others = roll_up(weighted[~is_self & ~pending], rules)[columns]
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
    grouped = frame.groupby(["competency", "name"])
    summary = pd.DataFrame(
        {
            "people": grouped["person_id"].nunique(),
            "mean_gap": grouped["gap"].mean(),
            "share_high": grouped["direction"].agg(lambda values: (values == "high").mean()),
            "share_low": grouped["direction"].agg(lambda values: (values == "low").mean()),
        }
    ).reset_index()
    order = summary["mean_gap"].abs().sort_values(ascending=False, kind="stable").index
    return summary.loc[order, GROUP_COLUMNS].reset_index(drop=True)


def calibration_of(session: Session, viewer: Viewer, **filters: Any) -> pd.DataFrame:
    """`group_calibration` over the people `groups.group_ids` keeps for these filters (job
    family, department, location, level, manager_id, all_levels), within the viewer's scope."""
    return group_calibration(session, viewer, group_ids(OPERATOR, **filters))
