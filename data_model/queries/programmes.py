"""Programme effectiveness: do people who complete an activity gain more mastery in what it
teaches than similar people who did not?

Method, per activity (and per activity kind, pooling its activities):

1. **Participants.** Each active person in scope whose first completion (completed or passed,
   not declined) of the activity falls in one of the HISTORY_MONTHS calendar months whose
   window has ended. Their window starts at the end of the month of completion (so the
   completion itself is already counted at the start) and ends `window_days` later.
2. **Gain.** Mastery in each competency the activity is tagged with, as of the window's end
   minus as of its start, by the one engine (see `pathway_mastery.mastery_series`); a side without
   usable evidence counts as the scale's minimum, a competency with neither is left out. A
   person's gain is the mean over the tagged competencies.
3. **Comparison.** For each participant, the people with the same job family and title level
   (from the current roster) who did not complete the activity from the start of that month
   to the window's end, over the same window and competencies. The comparison gain is the mean,
   over participants, of their comparison group's mean gain.
4. **Difference** = participant gain - comparison gain. An observational difference, not a
   measured effect: who chooses a programme is not random.

A kind's row pools its activities' participations (one person taking two counts twice).
Rows with fewer than MINIMUM_GROUP participants are suppressed (no numbers at all); the
comparison figures are left out too when fewer than MINIMUM_GROUP comparison people remain.
"""

import warnings
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Select, String, or_, select, type_coerce
from sqlalchemy.orm import Session

from data_model.access import Viewer
from data_model.evidence_source import competency_rules, raw_evidence_query, read_raw_evidence
from data_model.mastery import read_evidence
from data_model.models import Activity, ActivityCompetency, LearningRecord, Verification
from data_model.queries.evidence import read_frame
from data_model.queries.groups import _members, group_ids
from data_model.queries.pathway_mastery import mastery_series

MINIMUM_GROUP = 5
HISTORY_MONTHS = 24
COLUMNS = ["scope", "activity", "kind", "participants", "comparison_people", "participant_gain",
           "comparison_gain", "difference", "suppressed"]  # fmt: skip


def _month_end(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _windows(today: date, window_days: int) -> list[date]:
    """The month ends (window starts) of the HISTORY_MONTHS months whose window has ended."""
    ends: list[date] = []
    month = _month_end(today - timedelta(days=window_days))
    while len(ends) < HISTORY_MONTHS:
        if month + timedelta(days=window_days) <= today:
            ends.append(month)
        month = _month_end(month.replace(day=1) - timedelta(days=1))
    return sorted(ends)


def _gains(
    session: Session, ids: Select, people: pd.DataFrame, competencies: list[int],
    starts: list[date], window_days: int,
) -> np.ndarray:  # fmt: skip
    """people x competencies x windows: mastery gain over each window (NaN: no evidence).
    `ids` selects the same people, for SQL (far faster to scan than a long IN list)."""
    rules = competency_rules(session)
    ends = [start + timedelta(days=window_days) for start in starts]
    days = sorted({*starts, *ends})
    pairs = pd.MultiIndex.from_product(
        [people["person_id"], competencies], names=["person_id", "competency_id"]
    ).to_frame(index=False)
    evidence = read_evidence(read_raw_evidence(session, raw_evidence_query(ids)))
    mastery, _support = mastery_series(evidence, pairs, rules, days, with_support=False)
    column = {day: position for position, day in enumerate(days)}
    before = mastery[:, [column[day] for day in starts]]
    after = mastery[:, [column[day] for day in ends]]
    floor = rules.frame["scale_min"].reindex(pairs["competency_id"]).to_numpy(float)[:, None]
    gain = np.where(np.isnan(before) & np.isnan(after), np.nan,
                    np.where(np.isnan(after), floor, after)
                    - np.where(np.isnan(before), floor, before))  # fmt: skip
    return gain.reshape(len(people), len(competencies), len(starts))


def _completions(session: Session, viewer: Viewer, since: datetime) -> pd.DataFrame:
    statement = select(
        LearningRecord.person_id,
        LearningRecord.activity_id,
        type_coerce(LearningRecord.occurred_at, String()).label("occurred_at"),
    ).where(
        LearningRecord.person_id.in_(group_ids(viewer)),
        LearningRecord.activity_id.is_not(None),
        or_(LearningRecord.completed.is_(True), LearningRecord.passed.is_(True)),
        LearningRecord.verification != Verification.DECLINED,
        LearningRecord.occurred_at >= since,
    )
    frame = read_frame(session, statement)
    frame["day"] = pd.to_datetime(frame["occurred_at"], utc=True, format="ISO8601").dt.date
    return frame


def _row(scope: str, activity: str | None, kind: str, gains: list[float],
         participants: int, compared: list[float], comparison_people: int) -> tuple:  # fmt: skip
    if participants < MINIMUM_GROUP:
        return (scope, activity, kind, None, None, None, None, None, True)
    mine = float(np.mean(gains))
    if comparison_people < MINIMUM_GROUP or not compared:
        return (scope, activity, kind, participants, None, mine, None, None, False)
    theirs = float(np.mean(compared))
    return (scope, activity, kind, participants, comparison_people, mine, theirs, mine - theirs,
            False)  # fmt: skip


def programme_effectiveness(
    session: Session, viewer: Viewer, window_days: int = 90
) -> pd.DataFrame:
    """COLUMNS: one row per activity completed in a finished window (scope "activity"), then
    one per kind (scope "kind", activity None); see the module notes for the method. Gains
    are in scale levels; suppressed rows carry only their names."""
    today = datetime.now(UTC).date()
    starts = _windows(today, window_days)
    people = _members(session, group_ids(viewer)).reset_index(drop=True)
    month_start = starts[0].replace(day=1)
    done = _completions(session, viewer, datetime.combine(month_start, datetime.min.time(), UTC))
    tags = read_frame(
        session,
        select(ActivityCompetency.activity_id, ActivityCompetency.competency_id, Activity.title,
               Activity.kind).join(Activity, Activity.id == ActivityCompetency.activity_id),
    )  # fmt: skip
    tags = tags[tags["activity_id"].isin(done["activity_id"])]
    if people.empty or tags.empty:
        return pd.DataFrame(columns=COLUMNS)
    competencies = sorted(tags["competency_id"].unique().tolist())
    gain = _gains(session, group_ids(viewer), people, competencies, starts, window_days)
    person_index = {int(person_id): row for row, person_id in enumerate(people["person_id"])}
    done = done[done["person_id"].isin(list(person_index))]
    done = done.assign(position=done["person_id"].map(person_index))
    cell = people.groupby(["job_family_id", "title_level"], dropna=False).ngroup().to_numpy().copy()
    cell[(people["job_family_id"].isna() | people["title_level"].isna()).to_numpy()] = -1
    month_of = {(start.year, start.month): k for k, start in enumerate(starts)}
    window_end = np.array([start + timedelta(days=window_days) for start in starts])
    window_first = np.array([start.replace(day=1) for start in starts])
    by_kind: dict[str, dict] = {}
    rows = []
    for (activity_id, title, kind), tagged in tags.groupby(["activity_id", "title", "kind"]):
        columns = [competencies.index(c) for c in tagged["competency_id"]]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            per_person = np.nanmean(gain[:, columns, :], axis=1)
        taken = done[done["activity_id"] == activity_id]
        excluded = np.zeros(per_person.shape, dtype=bool)
        days = taken["day"].to_numpy()
        for k in range(len(starts)):
            inside = (window_first[k] <= days) & (days <= window_end[k])
            excluded[taken["position"].to_numpy()[inside], k] = True
        valid = ~excluded & ~np.isnan(per_person) & (cell >= 0)[:, None]
        cells = cell.max() + 1
        totals = np.zeros((cells, len(starts)))
        counts = np.zeros((cells, len(starts)))
        for k in range(len(starts)):
            members = valid[:, k]
            totals[:, k] = np.bincount(cell[members], per_person[members, k], minlength=cells)
            counts[:, k] = np.bincount(cell[members], minlength=cells)
        first = taken.sort_values("day").drop_duplicates("person_id")
        gains, compared, needed = [], [], np.zeros((cells, len(starts)), dtype=bool)
        for position, day in zip(first["position"], first["day"], strict=True):
            k = month_of.get((day.year, day.month))
            if k is None or np.isnan(per_person[position, k]):
                continue
            gains.append(float(per_person[position, k]))
            group = cell[position]
            if group >= 0 and counts[group, k] > 0:
                compared.append(totals[group, k] / counts[group, k])
                needed[group, k] = True
        if not gains:
            continue
        contributing = (valid & needed[np.maximum(cell, 0)] & (cell >= 0)[:, None]).any(axis=1)
        rows.append(_row("activity", title, str(kind), gains, len(gains), compared,
                         int(contributing.sum())))  # fmt: skip
        empty = {"gains": [], "compared": [], "contributing": np.zeros(len(people), bool)}
        pooled = by_kind.setdefault(str(kind), empty)
        pooled["gains"] += gains
        pooled["compared"] += compared
        pooled["contributing"] |= contributing
    for kind, pooled in sorted(by_kind.items()):
        rows.append(_row("kind", None, kind, pooled["gains"], len(pooled["gains"]),
                         pooled["compared"], int(pooled["contributing"].sum())))  # fmt: skip
    frame = pd.DataFrame(rows, columns=COLUMNS).astype(
        {"participants": "Int64", "comparison_people": "Int64", "participant_gain": float,
         "comparison_gain": float, "difference": float}
    )  # fmt: skip
    return frame.sort_values(["scope", "suppressed", "difference"], ascending=[True, True, False],
                             na_position="last").reset_index(drop=True)  # fmt: skip
