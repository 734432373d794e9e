"""Career pathway rules: which requirements a person meets, the level that gives them, how ready
they are for the next one, what is missing, and what to do about it.

Everything here is pure pandas over frames, so one call covers a whole team. The inputs are the
pathways (`Pathways`), the people (person_id, job_family_id), mastery rows as the engine gives
them (person_id, competency_id, mastery, support_levels, last_evidence_at; support already faded
to `now`) and the competency rules (scale minimum, minimum support, half-life).

A requirement "competency >= R" is met when mastery >= R and support at level ceil(R) reaches
the competency's minimum support; one at or below the scale's minimum is always met. Levels are
cumulative: the attained level is the highest rank whose requirements, and those of every rank
below it, are all met.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from data_model.mastery import PAIR, CompetencyRules

LEVEL = "level"
FRESHER = "fresher evidence"
TRUSTED = "more trusted evidence"
RISK_DAYS = 90
"""A met requirement whose support would fall below the minimum within this many days is at risk."""
STALL_DAYS = 90
"""Readiness that has not grown over this many days is stalled."""
DAYS_PER_MONTH = 365.25 / 12
EPSILON = 1e-9
STATUSES = ("no_pathway", "no_evidence", "top_level", "ready", "at_risk", "stalled", "on_track")
"""Every status, in order of precedence: the first that applies is the one shown."""

REQUIREMENT_COLUMNS = ["job_family_id", "rank", "competency_id", "competency", "name",
                       "required", "weight", "critical"]  # fmt: skip


@dataclass(frozen=True)
class Pathways:
    levels: pd.DataFrame
    """job_family_id, rank, title: every level of every job family."""
    requirements: pd.DataFrame
    """REQUIREMENT_COLUMNS: one row per level and required competency."""


def assess(
    targets: pd.DataFrame,
    pathways: Pathways,
    mastery: pd.DataFrame,
    rules: CompetencyRules,
    now: datetime,
) -> pd.DataFrame:
    """One row per target and requirement, with the person's mastery and whether it is met.

    `targets`: person_id, job_family_id, and optionally rank to assess that level only.
    Adds: mastery (NaN without evidence), support (at ceil(required)), met, credit (towards
    readiness), missing (for unmet requirements, see `_missing`) and at_risk (met now, but
    support fades below the minimum within RISK_DAYS).
    """
    keys = ["job_family_id", "rank"] if "rank" in targets else ["job_family_id"]
    columns = [*PAIR, "mastery", "last_evidence_at"]
    matrix = support_matrix(mastery["support_levels"])
    rows = (
        targets[["person_id", *keys]]
        .merge(pathways.requirements, on=keys)
        .merge(mastery[columns].assign(_row=np.arange(len(mastery))), on=PAIR, how="left")
    )
    settings = rules.frame.reindex(
        index=rows["competency_id"], columns=["scale_min", "minimum_support", "half_life_days"]
    )
    minimum = settings["minimum_support"].to_numpy(float)
    half_life = settings["half_life_days"].to_numpy(float)
    required = rows["required"].to_numpy(float)
    level = np.ceil(required - EPSILON).astype(int)
    row = rows.pop("_row").fillna(-1).to_numpy(int)
    usable = (row >= 0) & (level >= 1) & (level <= matrix.shape[1])
    support = np.zeros(len(rows))
    support[usable] = matrix[row[usable], level[usable] - 1]
    value = rows["mastery"].to_numpy(float)
    trivial = required <= settings["scale_min"].to_numpy(float) + EPSILON
    reached, met, credit = judge(
        required, value, support, minimum, trivial, rows["critical"].to_numpy(bool)
    )
    last = pd.to_datetime(rows["last_evidence_at"], utc=True)
    age_days = ((pd.Timestamp(now) - last).dt.total_seconds() / 86_400).to_numpy(float)
    faded = support * 0.5 ** (RISK_DAYS / half_life) < minimum - EPSILON
    return rows.assign(
        mastery=value,
        support=np.where(trivial, np.nan, support),
        met=met,
        credit=credit,
        missing=_missing(met, reached, support * 2 ** (age_days / half_life), minimum),
        at_risk=met & ~trivial & faded,
    )


def judge(
    required: np.ndarray,
    value: np.ndarray,
    support: np.ndarray,
    minimum: np.ndarray,
    trivial: np.ndarray,
    critical: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per requirement (arrays of any one shape, NaN mastery for no evidence): reached (the
    level), met, and credit towards readiness (1 when met, else min(1, mastery / required),
    0 for an unmet critical requirement)."""
    reached = np.nan_to_num(value, nan=-np.inf) >= required - EPSILON
    met = trivial | (reached & (support >= minimum - EPSILON))
    partial = np.clip(np.nan_to_num(value, nan=0.0) / np.where(trivial, 1.0, required), 0, 1)
    return reached, met, np.where(met, 1.0, np.where(critical, 0.0, partial))


def support_matrix(support_levels: Sequence) -> np.ndarray:
    """Per-level support (lists or arrays; anything else counts as none) as one row per entry,
    zero-padded to the longest."""
    rows = list(support_levels)
    if rows:
        try:
            matrix = np.array(rows, dtype=float)
        except (TypeError, ValueError):
            matrix = None
        if matrix is not None and matrix.ndim == 2:
            return matrix
    rows = [levels if isinstance(levels, list | np.ndarray) else [] for levels in rows]
    matrix = np.zeros((len(rows), max(map(len, rows), default=0)))
    for position, levels in enumerate(rows):
        matrix[position, : len(levels)] = levels
    return matrix


def _missing(
    met: np.ndarray, reached: np.ndarray, support_when_shown: np.ndarray, minimum: np.ndarray
) -> np.ndarray:
    """What an unmet requirement lacks: the level itself, or, with the level reached, support.

    Every weight fades by the same factor, so support as of the most recent evidence is today's
    support x 2 ** (its age / half-life). If that reached the minimum the evidence was once
    strong enough and time faded it ("fresher evidence"); otherwise it was never trusted enough
    (self-ratings, a single course: "more trusted evidence").
    """
    strong_once = np.nan_to_num(support_when_shown, nan=0.0) >= minimum - EPSILON
    kinds = np.full(len(met), None, dtype=object)
    kinds[~met & ~reached] = LEVEL
    kinds[~met & reached & strong_once] = FRESHER
    kinds[~met & reached & ~strong_once] = TRUSTED
    return kinds


def held_levels(people: pd.DataFrame, pathways: Pathways, assessed: pd.DataFrame) -> pd.DataFrame:
    """Per person (index) of `people` whose job family has levels: `attained`, the highest rank
    with every rank up to it met (0 below the first), and `next_level` (NaN at the top).

    The next level is the one to be ready for. Someone whose evidence has gone past their title
    level (`title_level` in `people`, when given) is measured against the level above their
    title: they hold it, so they are ready for it. Everyone else is measured against the level
    above the one they hold; they cannot hold it yet, so that is never ready. A level without
    requirements is met."""
    ranks: dict[int, list[int]] = {}
    for family, rank in zip(pathways.levels["job_family_id"], pathways.levels["rank"], strict=True):
        ranks.setdefault(int(family), []).append(int(rank))
    first_unmet = assessed.loc[~assessed["met"], ["person_id", "rank"]].groupby("person_id").min()
    unmet = first_unmet["rank"].to_dict()
    titles = people["title_level"] if "title_level" in people else pd.Series(np.nan, people.index)
    rows = {}
    for person_id, family, title in zip(
        people["person_id"], people["job_family_id"], titles, strict=True
    ):
        if family != family or int(family) not in ranks:
            continue
        family_ranks = sorted(ranks[int(family)])
        below = unmet.get(person_id, np.inf)
        attained = max((rank for rank in family_ranks if rank < below), default=0)
        base = title if pd.notna(title) and title < attained else attained
        above = [rank for rank in family_ranks if rank > base]
        rows[person_id] = (attained, above[0] if above else np.nan)
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=["attained", "next_level"])
    return frame.rename_axis("person_id")


def readiness(assessed: pd.DataFrame, person_ids: pd.Series) -> pd.DataFrame:
    """Per person (index), for the one level `assessed` holds: readiness, the weighted share of
    credit (1 when met, else min(1, mastery / required), 0 for an unmet critical one), and ready,
    every requirement met. A level without requirements is fully ready."""
    weight = assessed["weight"].astype(float)
    grouped = assessed.assign(earned=weight * assessed["credit"], weight=weight).groupby(
        "person_id"
    )
    frame = pd.DataFrame(
        {
            "readiness": grouped["earned"].sum() / grouped["weight"].sum(),
            "ready": grouped["met"].all(),
        }
    )
    frame = frame.reindex(pd.Index(person_ids.unique(), name="person_id"))
    return frame.fillna({"readiness": 1.0}).assign(ready=frame["ready"].ne(False))


@dataclass(frozen=True)
class Trend:
    velocity: float | None
    """Least-squares slope of readiness per month; None with fewer than two points."""
    forecast: str | None
    """YYYY-MM when readiness reaches 1 at this velocity; None when it is not growing."""
    forecast_range: tuple[str | None, str | None]
    """The forecast at velocity + and - its standard error; None at that end when not growing."""


def _month(as_of: date, months: float) -> str:
    return (as_of + timedelta(days=months * DAYS_PER_MONTH)).strftime("%Y-%m")


def trend(days: list[date], values: np.ndarray, current: float, as_of: date) -> Trend:
    """Velocity and forecast from readiness at `days` (x in months of 365.25 / 12 days).

    The forecast extrapolates from the current readiness, not the fitted line, so a person at
    readiness 1 whose support is short is forecast for this month.
    """
    if len(days) < 2:
        return Trend(None, None, (None, None))
    x = np.array([(day - days[0]).days for day in days], dtype=float) / DAYS_PER_MONTH
    centred = x - x.mean()
    spread = float((centred**2).sum())
    slope = float((centred * (values - values.mean())).sum() / spread)
    residuals = values - values.mean() - slope * centred
    error = float(np.sqrt((residuals**2).sum() / (len(x) - 2) / spread)) if len(x) > 2 else 0.0

    def when(rate: float) -> str | None:
        return _month(as_of, max(0.0, 1.0 - current) / rate) if rate > EPSILON else None

    return Trend(slope, when(slope), (when(slope + error), when(slope - error)) if slope > EPSILON
                 else (None, None))  # fmt: skip


def status(
    has_pathway: bool, has_evidence: bool, top: bool, ready: bool, at_risk: bool, stalled: bool
) -> str:
    """The first of STATUSES that applies. Being ready outranks a risk, which outranks a stall:
    a risk needs acting on within RISK_DAYS, a stall is a conversation."""
    flags = (not has_pathway, not has_evidence, top, ready, at_risk, stalled, True)
    return next(name for name, flag in zip(STATUSES, flags, strict=True) if flag)


def _not_done(options: pd.DataFrame, done: pd.DataFrame) -> pd.DataFrame:
    """The rows of `options` whose (person_id, activity_id) is not in `done`."""
    finished = set(zip(done["person_id"].astype(int), done["activity_id"].astype(int), strict=True))
    keys = zip(options["person_id"].astype(int), options["activity_id"].astype(int), strict=True)
    return options[np.array([key not in finished for key in keys], dtype=bool)]


@dataclass(frozen=True)
class Recommendation:
    activity: str
    competencies: tuple[str, ...]
    hours: float | None


def recommend(
    gaps: pd.DataFrame, catalogue: pd.DataFrame, done: pd.DataFrame, limit: int = 5
) -> dict[int, list[Recommendation]]:
    """Up to `limit` next steps per person with gaps, best first.

    `gaps`: person_id, competency_id, competency, name, required, mastery, missing.
    `catalogue`: activity_id, title, hours, competency_id, target_level (one row per tag).
    `done`: person_id, activity_id of activities completed or passed, never recommended.
    Evidence gaps come first, as "ask for an attestation" steps: no learning, just asking.
    Level gaps are closed by catalogue activities tagged above current mastery, ranked by gap
    closed per hour: the sum over the tagged level-gap competencies of min(target, required) -
    mastery (no evidence counting as 0) over max(hours, 1); unknown hours count as 1. Ties go
    to fewer hours, then the title.
    """
    steps: dict[int, list[Recommendation]] = {}
    asks = gaps[gaps["missing"].isin([FRESHER, TRUSTED])]
    for person_id, code, name in zip(asks["person_id"], asks["competency"], asks["name"],
                                     strict=True):  # fmt: skip
        ask = Recommendation(f"Ask for an attestation of {name}", (code,), None)
        steps.setdefault(int(person_id), []).append(ask)
    level_gaps = gaps[gaps["missing"] == LEVEL]
    tags = catalogue[catalogue["competency_id"].isin(level_gaps["competency_id"])]
    options = level_gaps[["person_id", "competency_id", "competency", "required", "mastery"]]
    options = options.fillna({"mastery": 0.0}).merge(tags, on="competency_id")
    options = _not_done(options[options["target_level"] > options["mastery"] + EPSILON], done)
    closed = np.minimum(options["target_level"], options["required"]) - options["mastery"]
    found: dict[tuple[int, int], list] = {}
    for person_id, activity_id, title, hours, code, gain in zip(
        options["person_id"], options["activity_id"], options["title"], options["hours"],
        options["competency"], closed, strict=True,
    ):  # fmt: skip
        entry = found.setdefault((int(person_id), int(activity_id)), [title, hours, 0.0, []])
        entry[2] += gain
        entry[3].append(code)
    ranked = sorted(
        found.items(),
        key=lambda item: (-item[1][2] / max(_hours(item[1][1]), 1.0), _hours(item[1][1]),
                          item[1][0]),
    )  # fmt: skip
    for (person_id, _), (title, hours, _gain, codes) in ranked:
        hours = None if hours != hours else float(hours)
        steps.setdefault(person_id, []).append(Recommendation(title, tuple(codes), hours))
    return {person_id: found_steps[:limit] for person_id, found_steps in steps.items()}


def _hours(hours: float | None) -> float:
    return 0.0 if hours is None or hours != hours else float(hours)


def catalogue_hours(gaps: pd.DataFrame, catalogue: pd.DataFrame, done: pd.DataFrame) -> pd.Series:
    """person_id -> estimated catalogue hours to close the level gaps: per gap, the fewest
    hours of one activity not yet done that is tagged at or above the required level, summed;
    NaN when some gap has no such activity."""
    level_gaps = gaps[gaps["missing"] == LEVEL]
    options = level_gaps.merge(catalogue, on="competency_id")
    options = options[options["target_level"] >= options["required"] - EPSILON]
    options = _not_done(options, done).assign(hours=lambda f: f["hours"].fillna(0.0))
    cheapest = options.groupby(["person_id", "competency_id"])["hours"].min()
    needed = level_gaps.set_index(["person_id", "competency_id"]).index
    per_gap = cheapest.reindex(needed)
    return (
        per_gap.groupby(level=0).sum(min_count=1).where(per_gap.isna().groupby(level=0).sum() == 0)
    )
