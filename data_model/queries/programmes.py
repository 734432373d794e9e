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
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import String, or_, select, type_coerce
from sqlalchemy.orm import Session

from data_model.access import Viewer
from data_model.bulk import collector_paused
from data_model.evidence_source import competency_rules, read_people_evidence
from data_model.mastery import read_evidence
from data_model.models import Activity, ActivityCompetency, LearningRecord, Verification
from data_model.queries.evidence import read_frame
from data_model.queries.groups import _members, group_ids
from data_model.queries.mastery import end_of_day
from data_model.queries.pathway_mastery import mastery_series

MINIMUM_GROUP = 5
HISTORY_MONTHS = 24
BY_ID_UP_TO = 1_000
"""Up to this many people, their evidence is read by id; more, by the range of their ids."""
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
    session: Session, people: pd.DataFrame, competencies: list[int], starts: list[date],
    window_days: int,
) -> np.ndarray:  # fmt: skip
    """people x competencies x windows: mastery gain over each window (NaN: no evidence).

    The people's records are read in one pass (`read_people_evidence`): a large group by the
    range of its ids, far faster than a long IN list, then kept to the group. Only evidence of
    these competencies shown by the last window's end counts."""
    rules = competency_rules(session)
    ends = [start + timedelta(days=window_days) for start in starts]
    days = sorted({*starts, *ends})
    pairs = pd.MultiIndex.from_product(
        [people["person_id"], competencies], names=["person_id", "competency_id"]
    ).to_frame(index=False)
    person_ids = people["person_id"].astype(int).tolist()
    if len(person_ids) > BY_ID_UP_TO:
        raw = read_people_evidence(session, person_range=(min(person_ids), max(person_ids)))
        raw = raw[raw["person_id"].isin(person_ids)]
    else:
        raw = read_people_evidence(session, person_ids=person_ids)
    shown = raw["occurred_at"] <= pd.Timestamp(end_of_day(days[-1]))
    evidence = read_evidence(raw[shown & raw["competency_id"].isin(competencies)])
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
    """person_id, activity_id and day (datetime64[D]) of each completion or pass since then,
    read straight from the cursor."""
    statement = select(
        LearningRecord.person_id,
        LearningRecord.activity_id,
        type_coerce(LearningRecord.occurred_at, String()),
    ).where(
        LearningRecord.person_id.in_(group_ids(viewer)),
        LearningRecord.activity_id.is_not(None),
        or_(LearningRecord.completed.is_(True), LearningRecord.passed.is_(True)),
        LearningRecord.verification != Verification.DECLINED,
        LearningRecord.occurred_at >= since,
    )
    with collector_paused():
        rows = session.connection().execute(statement).cursor.fetchall()
    person, activity, occurred = zip(*rows, strict=True) if rows else ((), (), ())
    shown = pd.to_datetime(pd.Series(occurred, dtype=object), utc=True, format="ISO8601")
    return pd.DataFrame(
        {
            "person_id": np.asarray(person, dtype=np.int64),
            "activity_id": np.asarray(activity, dtype=np.int64),
            "day": shown.dt.tz_localize(None).dt.floor("D").to_numpy("datetime64[D]"),
        }
    )


@dataclass(frozen=True)
class _Windows:
    """The people's comparison cells and the windows, as arrays for comparing whole groups."""

    cell: np.ndarray
    """Per person: their (job family, title level) group, -1 without both."""
    first: np.ndarray
    """Per window: the first day of its month (datetime64[D])."""
    end: np.ndarray
    """Per window: its last day (datetime64[D])."""

    def of_day(self, days: np.ndarray) -> np.ndarray:
        """The window whose month each day falls in, -1 for none."""
        months, firsts = days.astype("datetime64[M]"), self.first.astype("datetime64[M]")
        found = np.minimum(np.searchsorted(firsts, months), len(firsts) - 1)
        return np.where(firsts[found] == months, found, -1)


@dataclass
class _Comparison:
    """What one activity (or a kind, pooled) contributes to its row."""

    gains: list[float]
    compared: list[float]
    contributing: np.ndarray
    """Per person: counted in a comparison group that someone's figure used."""


def _compare(
    per_person: np.ndarray, usable: np.ndarray, first: pd.DataFrame, taken: pd.DataFrame,
    windows: _Windows,
) -> _Comparison:  # fmt: skip
    """Participants' gains and their comparison groups' mean gains, in participant order.

    `per_person`: people x windows, the mean gain over the activity's competencies; `usable`:
    where it is known for someone with a comparison cell; `first` and `taken`: the people's
    first and every completion of the activity (position, day, window of the day's month). A
    participant counts in the window of the month of their first completion; their comparison
    group is the people of their cell with a gain in that window who did not complete the
    activity from the start of that month to the window's end."""
    positions, window = first["position"].to_numpy(), first["window"].to_numpy()
    known = window >= 0
    known[known] = ~np.isnan(per_person[positions[known], window[known]])
    positions, window = positions[known], window[known]
    cell = windows.cell[positions]
    days, taken_positions = taken["day"].to_numpy(), taken["position"].to_numpy()
    cells = int(windows.cell.max()) + 1
    contributing = np.zeros(len(per_person), dtype=bool)
    mean_of: dict[tuple[int, int], float] = {}
    for k in np.unique(window[cell >= 0]).tolist():
        valid = usable[:, k].copy()
        inside = (windows.first[k] <= days) & (days <= windows.end[k])
        valid[taken_positions[inside]] = False
        members = windows.cell[valid]
        totals = np.bincount(members, per_person[valid, k], minlength=cells)
        counts = np.bincount(members, minlength=cells)
        needed = np.zeros(cells, dtype=bool)
        for group in np.unique(cell[(window == k) & (cell >= 0)]).tolist():
            if counts[group] > 0:
                mean_of[(group, k)] = totals[group] / counts[group]
                needed[group] = True
        contributing |= valid & needed[np.maximum(windows.cell, 0)]
    compared = [mean_of[(group, k)] for group, k in zip(cell.tolist(), window.tolist(), strict=True)
                if (group, k) in mean_of]  # fmt: skip
    return _Comparison(per_person[positions, window].tolist(), compared, contributing)


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
    gain = _gains(session, people, competencies, starts, window_days)
    person_index = {int(person_id): row for row, person_id in enumerate(people["person_id"])}
    done = done[done["person_id"].isin(list(person_index))]
    done = done.assign(position=done["person_id"].map(person_index))
    cell = people.groupby(["job_family_id", "title_level"], dropna=False).ngroup().to_numpy().copy()
    cell[(people["job_family_id"].isna() | people["title_level"].isna()).to_numpy()] = -1
    windows = _Windows(
        cell=cell,
        first=np.array([start.replace(day=1) for start in starts], dtype="datetime64[D]"),
        end=np.array([start + timedelta(days=window_days) for start in starts],
                     dtype="datetime64[D]"),
    )  # fmt: skip
    done = done.assign(window=windows.of_day(done["day"].to_numpy()))
    firsts = done.sort_values(["activity_id", "day"], kind="stable").drop_duplicates(
        ["activity_id", "person_id"]
    )
    completions = dict(tuple(done.groupby("activity_id", sort=False)))
    first_completions = dict(tuple(firsts.groupby("activity_id", sort=False)))
    mean_gains: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = {}
    by_kind: dict[str, _Comparison] = {}
    rows = []
    for (activity_id, title, kind), tagged in tags.groupby(["activity_id", "title", "kind"]):
        taken = completions.get(activity_id)
        if taken is None:
            continue
        columns = tuple(competencies.index(c) for c in tagged["competency_id"])
        if columns not in mean_gains:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                per_person = np.nanmean(gain[:, list(columns), :], axis=1)
            usable = ~np.isnan(per_person) & (cell >= 0)[:, None]
            mean_gains[columns] = per_person, usable
        per_person, usable = mean_gains[columns]
        found = _compare(per_person, usable, first_completions[activity_id], taken, windows)
        if not found.gains:
            continue
        rows.append(_row("activity", title, str(kind), found.gains, len(found.gains),
                         found.compared, int(found.contributing.sum())))  # fmt: skip
        pooled = by_kind.setdefault(
            str(kind), _Comparison([], [], np.zeros(len(people), dtype=bool))
        )
        pooled.gains += found.gains
        pooled.compared += found.compared
        pooled.contributing |= found.contributing
    for kind, pooled in sorted(by_kind.items()):
        rows.append(_row("kind", None, kind, pooled.gains, len(pooled.gains), pooled.compared,
                         int(pooled.contributing.sum())))  # fmt: skip
    frame = pd.DataFrame(rows, columns=COLUMNS).astype(
        {"participants": "Int64", "comparison_people": "Int64", "participant_gain": float,
         "comparison_gain": float, "difference": float}
    )  # fmt: skip
    return frame.sort_values(["scope", "suppressed", "difference"], ascending=[True, True, False],
                             na_position="last").reset_index(drop=True)  # fmt: skip
