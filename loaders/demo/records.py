"""Two to three years of learning records per person, with believable progress.

Each person has a latent ability per competency that grows at their own pace (see `Growth`);
every record is a noisy observation of that ability on the day it was shown: a course taken a
little above it, an assessment scored against it, a manager's attestation, a peer's feedback,
a self-rating that runs high. Stalled people stop growing; stale people stop producing evidence.
Generated column-wise with numpy so that a million records take seconds, not minutes.
"""

import bisect
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import IntEnum
from typing import Any

import numpy as np

from data_model.models import (
    SOURCE_OF_ACTIVITY,
    ActivityKind,
    CompetencyCategory,
    SourceKind,
    Verification,
)
from loaders.demo.catalogue import DemoActivity
from loaders.demo.organisation import DemoPerson, Growth
from loaders.framework_yaml import CompetencySpec


class Evidence(IntEnum):
    """The kinds of record the demo produces; activity-based ones draw from the catalogue."""

    COURSE = 0
    ASSESSMENT = 1
    CERTIFICATION = 2
    ON_THE_JOB = 3
    LIGHT = 4
    ATTESTATION = 5
    PEER = 6
    SELF = 7


ACTIVITY_KINDS = {
    Evidence.COURSE: {ActivityKind.COURSE, ActivityKind.BOOTCAMP},
    Evidence.ASSESSMENT: {ActivityKind.ASSESSMENT},
    Evidence.CERTIFICATION: {ActivityKind.CERTIFICATION},
    Evidence.ON_THE_JOB: {
        ActivityKind.PROJECT,
        ActivityKind.STRETCH_ASSIGNMENT,
        ActivityKind.PORTFOLIO,
    },
    Evidence.LIGHT: {ActivityKind.MENTORING, ActivityKind.READING, ActivityKind.CONFERENCE},
}
MIX = {
    CompetencyCategory.TECHNICAL: [0.2, 0.14, 0.05, 0.17, 0.08, 0.14, 0.08, 0.14],
    CompetencyCategory.PROFESSIONAL: [0.25, 0, 0, 0.12, 0.13, 0.22, 0.13, 0.15],
    CompetencyCategory.VALUES: [0.1, 0, 0, 0, 0, 0.45, 0.3, 0.15],
}
# Ability relative to title level (fast growers are working above their title, so some people
# come out ready for the next one), growth per year, and how much evidence each kind produces.
HEAD_START = {Growth.FAST: 2.0, Growth.STEADY: 0.9, Growth.SLOW: 0.3, Growth.STALLED: 0.5,
              Growth.STALE: 0.6}  # fmt: skip
GROWTH_PER_YEAR = {Growth.FAST: 0.9, Growth.STEADY: 0.45, Growth.SLOW: 0.15,
                   Growth.STALLED: 0.4, Growth.STALE: 0.3}  # fmt: skip
ACTIVITY = {Growth.FAST: 1.0, Growth.STEADY: 1.1, Growth.SLOW: 0.7, Growth.STALLED: 0.9,
            Growth.STALE: 0.8}  # fmt: skip
PASS_MARK = 0.7
REVIEW = -1.0
"""Marks a review rating in the list of evidence to generate."""
REVIEW_EVERY_DAYS = 182
"""Managers review twice a year: trusted evidence never more than half a year old, so that
people who have the level also have the support to show it."""
CERTIFICATE_YEARS = 2
PENDING_WINDOW_DAYS = 45


@dataclass(frozen=True)
class DemoIds:
    """Database ids of what the records point at."""

    people: Sequence[int]
    competencies: dict[str, int]
    activities: dict[str, int]


@dataclass(frozen=True)
class _Plan:
    """One person's evidence window, as day numbers, and how many records fall in it."""

    first: int
    last: int
    reference: int
    """The day the person's baseline ability holds: today, or when they stalled or went quiet."""
    count: int


def _plan_people(
    rng: np.random.Generator, people: Sequence[DemoPerson], today: date, per_person: float
) -> list[_Plan]:
    """Spread `per_person` records on average: busier growers and longer windows get more."""
    windows = []
    for person in people:
        window_start = max(person.hire_date, today - timedelta(days=int(rng.integers(730, 1096))))
        # Up to yesterday: a record later today would lie in the future when the demo is read.
        first, last = window_start.toordinal(), today.toordinal() - 1
        reference = last
        if person.growth is Growth.STALLED:
            reference = max(first, last - int(rng.integers(120, 400)))
        elif person.growth is Growth.STALE:
            reference = last = min(last, max(first + 30, last - int(rng.integers(400, 720))))
        weight = ACTIVITY[person.growth] * min(1.0, max(0.1, (today.toordinal() - first) / 730))
        windows.append((first, last, reference, weight))
    total_weight = sum(window[3] for window in windows)
    scale = per_person * len(people) / total_weight if total_weight else 0.0
    counts = rng.poisson([window[3] * scale for window in windows])
    return [
        _Plan(first, last, reference, int(count))
        for (first, last, reference, _), count in zip(windows, counts, strict=True)
    ]


def _review_days(rng: np.random.Generator, person: DemoPerson, plan: _Plan) -> list[int]:
    """The review dates in the person's window, newest first, when their manager rates
    every competency they work on: the steady backbone of evidence that real organisations
    have. Only as many as the person's share of records allows are used."""
    if person.manager_index is None:
        return []
    latest = plan.last - int(rng.integers(0, REVIEW_EVERY_DAYS))
    return [day for day in range(latest, plan.first - 1, -REVIEW_EVERY_DAYS) if day >= plan.first]


def _days(rng: np.random.Generator, person: DemoPerson, plan: _Plan) -> np.ndarray:
    """Sorted evidence days; a stalled person shows almost nothing after they stalled."""
    if person.growth is not Growth.STALLED:
        return np.sort(rng.integers(plan.first, plan.last + 1, size=plan.count))
    late = int(rng.binomial(plan.count, 0.05))
    before = rng.integers(plan.first, plan.reference + 1, size=plan.count - late)
    after = rng.integers(plan.reference, plan.last + 1, size=late)
    return np.sort(np.concatenate([before, after]))


def generate_records(
    rng: np.random.Generator,
    people: Sequence[DemoPerson],
    competencies: Sequence[CompetencySpec],
    catalogue: Sequence[DemoActivity],
    ids: DemoIds,
    today: date,
    per_person: float,
    batch_id: int,
    created_at: datetime,
) -> Iterator[list[dict[str, Any]]]:
    """Yield the records in chunks of rows ready for a Core insert, person by person."""
    codes = [competency.code for competency in competencies]
    category = {competency.code: competency.category for competency in competencies}
    technical_by_family: dict[str | None, list[str]] = {
        "DATA": [c for c in codes if c.startswith("DA-")],
        "SWE": [c for c in codes if c.startswith("SE-")],
    }
    shared = [c for c in codes if category[c] is not CompetencyCategory.TECHNICAL]
    options: dict[tuple[str, Evidence], list[DemoActivity]] = {}
    for activity in catalogue:
        for evidence, kinds in ACTIVITY_KINDS.items():
            if activity.kind in kinds:
                options.setdefault((activity.competency, evidence), []).append(activity)
    cumulative_mix = {key: list(itertools.accumulate(shares)) for key, shares in MIX.items()}

    chunk: list[dict[str, Any]] = []
    for person, plan in zip(people, _plan_people(rng, people, today, per_person), strict=True):
        own = technical_by_family.get(person.job_family, [])
        other = [c for f, cs in technical_by_family.items() if f != person.job_family for c in cs]
        side_interest = (
            [str(code) for code in rng.choice(other, size=2, replace=False)]
            if person.job_family and rng.random() < 0.12
            else []
        )
        title = person.title_level or 2.5
        baseline = {}
        for code in own + shared + side_interest:
            values = category[code] is CompetencyCategory.VALUES
            level = 2.2 + 0.35 * min(title, 4) if values else title
            if code in side_interest:
                level -= 1.5
            baseline[code] = min(
                5.0, max(0.3, level + HEAD_START[person.growth] + rng.normal(0, 0.3))
            )
        reachable = list(baseline)
        reviews = _review_days(rng, person, plan)[: plan.count // max(1, len(reachable))]
        plan = replace(plan, count=max(0, plan.count - len(reviews) * len(reachable)))
        days = _days(rng, person, plan)
        shown = [
            (day, reachable[which], float(draw))
            for day, which, draw in zip(
                days.tolist(),
                rng.choice(len(reachable), size=len(days)).tolist(),
                rng.random(len(days)).tolist(),
                strict=True,
            )
        ] + [(day, code, REVIEW) for day in reviews for code in reachable]
        shown.sort(key=lambda item: item[0])
        minutes = rng.integers(9 * 60, 18 * 60, size=len(shown)).tolist()
        noise = rng.normal(0, 1, size=(len(shown), 3)).tolist()
        growth = GROWTH_PER_YEAR[person.growth]
        for k, (day, code, draw) in enumerate(shown):
            years_before = max(0, plan.reference - day) / 365.0
            ability = max(0.2, baseline[code] - growth * years_before)
            mix = cumulative_mix[category[code]]
            evidence = (
                Evidence.ATTESTATION
                if draw == REVIEW
                else Evidence(bisect.bisect_right(mix, draw * mix[-1]))
            )
            when = datetime.combine(
                date.fromordinal(day), time(minutes[k] // 60, minutes[k] % 60), tzinfo=UTC
            )
            row = _record(evidence, code, ability, noise[k], when, person, options, ids, today, rng)
            row.update(
                dedupe_key=f"demo:{person.external_id}:{k:05d}",
                person_id=ids.people[person.index],
                occurred_at=when,
                import_batch_id=batch_id,
                created_at=created_at,
                raw=None,
            )
            chunk.append(row)
        if len(chunk) >= 20_000:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _half_steps(value: float) -> float:
    return min(5.0, max(0.0, round(value * 2) / 2))


def _record(
    evidence: Evidence,
    code: str,
    ability: float,
    noise: list[float],
    when: datetime,
    person: DemoPerson,
    options: dict[tuple[str, Evidence], list[DemoActivity]],
    ids: DemoIds,
    today: date,
    rng: np.random.Generator,
) -> dict[str, Any]:
    manager_id = None if person.manager_index is None else ids.people[person.manager_index]
    row: dict[str, Any] = {
        "activity_id": None,
        "competency_id": None,
        "score": None,
        "max_score": None,
        "rating": None,
        "passed": None,
        "completed": None,
        "verification": Verification.NOT_NEEDED,
        "verified_by_id": None,
        "verified_at": None,
        "valid_until": None,
        "notes": "",
    }
    choices = options.get((code, evidence))
    if evidence >= Evidence.ATTESTATION or not choices:
        row["competency_id"] = ids.competencies[code]
        if evidence is Evidence.SELF:
            row.update(
                rating=_half_steps(ability + 0.4 + 0.5 * noise[0]),
                source_kind=SourceKind.SELF_REPORT,
                notes="Self-rating",
            )
        elif evidence is Evidence.PEER or manager_id is None:
            row.update(
                rating=_half_steps(ability + 0.5 * noise[0]),
                source_kind=SourceKind.PEER_REVIEW,
                notes="Peer feedback",
            )
        else:
            row.update(
                rating=_half_steps(ability + 0.3 * noise[0]),
                source_kind=SourceKind.ATTESTATION,
                verification=Verification.VERIFIED,
                verified_by_id=manager_id,
                verified_at=when,
                notes="Manager attestation",
            )
        return row

    stretch = {Evidence.COURSE: 0.8, Evidence.ASSESSMENT: 0.3, Evidence.CERTIFICATION: 0.4}
    wanted = ability + stretch.get(evidence, 0.0) + 0.5 * noise[1]
    activity = min(choices, key=lambda item: (abs(item.target_level - wanted), item.external_id))
    row["activity_id"] = ids.activities[activity.external_id]
    row["source_kind"] = SOURCE_OF_ACTIVITY[activity.kind]
    if evidence in (Evidence.ASSESSMENT, Evidence.CERTIFICATION):
        score = min(100.0, max(5.0, 100 * ability / activity.target_level + 9 * noise[2]))
        row.update(score=round(score, 1), max_score=100.0, completed=True,
                   passed=score >= 100 * PASS_MARK)  # fmt: skip
        if evidence is Evidence.CERTIFICATION and row["passed"]:
            row["valid_until"] = when.date() + timedelta(days=365 * CERTIFICATE_YEARS)
        return row
    row["completed"] = True
    if evidence is Evidence.ON_THE_JOB and manager_id is not None:
        recent = (today - when.date()).days <= PENDING_WINDOW_DAYS
        if recent and rng.random() < 0.6:
            row.update(
                verification=Verification.PENDING,
                verified_by_id=manager_id,
                notes="Logged by the learner; awaiting their manager's verification",
            )
        else:
            row.update(
                verification=Verification.VERIFIED,
                verified_by_id=manager_id,
                verified_at=min(
                    when + timedelta(days=int(rng.integers(1, 10))),
                    datetime.combine(today, time(23, 59), tzinfo=UTC),
                ),
            )
    return row
