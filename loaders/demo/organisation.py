"""A believable organisation: departments, a reporting tree with 3 to 10 reports per manager,
locations, levels and tenure, and how fast each person is growing.
"""

import unicodedata
from collections import deque
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

import numpy as np
from faker import Faker

MIN_PEOPLE = 40
MIN_REPORTS, MAX_REPORTS = 3, 10
EMAIL_DOMAIN = "demo.pathwise.example"


class Growth(StrEnum):
    """How a person's evidence moves over time; the demo needs each kind to be visible."""

    FAST = "fast"
    STEADY = "steady"
    SLOW = "slow"
    STALLED = "stalled"
    STALE = "stale"


GROWTH_SHARES = {
    Growth.FAST: 0.15,
    Growth.STEADY: 0.45,
    Growth.SLOW: 0.18,
    Growth.STALLED: 0.12,
    Growth.STALE: 0.10,
}


@dataclass(frozen=True)
class Department:
    name: str
    job_family: str | None
    share: float
    top_rank: int


DEPARTMENTS = (
    Department("Data & Insights", "DATA", 0.28, 5),
    Department("Customer Analytics", "DATA", 0.12, 4),
    Department("Platform Engineering", "SWE", 0.25, 6),
    Department("Product Engineering", "SWE", 0.30, 5),
    Department("People & Learning", None, 0.05, 0),
)
LOCATIONS = {
    "London": 0.34,
    "Manchester": 0.2,
    "Edinburgh": 0.1,
    "Lisbon": 0.14,
    "Berlin": 0.1,
    "Remote": 0.12,
}
FAKER_LOCALES = ["en_GB", "en_IE", "pt_PT", "de_DE", "es_ES", "fr_FR", "pl_PL", "en_IN"]
GENDERS = {"woman": 0.44, "man": 0.5, "non-binary": 0.02, "not disclosed": 0.04}
AGE_BANDS = {"under 25": 0.1, "25-34": 0.4, "35-44": 0.3, "45-54": 0.15, "55 and over": 0.05}


@dataclass
class DemoPerson:
    index: int
    external_id: str
    name: str
    email: str
    department: str
    job_family: str | None
    title_level: int | None
    location: str
    hire_date: date
    growth: Growth
    manager_index: int | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    is_ld_admin: bool = False


def _pick(rng: np.random.Generator, shares: dict[Any, float]) -> Any:
    keys = list(shares)
    weights = np.array(list(shares.values()))
    return keys[int(rng.choice(len(keys), p=weights / weights.sum()))]


def _department_sizes(total: int) -> list[int]:
    """People per department; every department keeps a head and at least three reports."""
    shares = np.array([department.share for department in DEPARTMENTS])
    sizes = np.maximum(np.floor(shares * total).astype(int), MIN_REPORTS + 1)
    sizes[int(np.argmax(shares))] += total - int(sizes.sum())
    return [int(size) for size in sizes]


def _reporting_tree(rng: np.random.Generator, size: int) -> list[int | None]:
    """Manager index (within the department) for each of `size` people; index 0 is the head.

    Filled breadth first so every manager gets a span drawn from 3 to 10, then a last manager
    left with fewer than three reports hands them to managers with room.
    """
    managers: list[int | None] = [None]
    spans = rng.integers(MIN_REPORTS, MAX_REPORTS + 1, size=size)
    counts = np.zeros(size, dtype=int)
    open_managers = deque([0])
    for person in range(1, size):
        boss = open_managers[0]
        managers.append(boss)
        counts[boss] += 1
        open_managers.append(person)
        if counts[boss] >= spans[boss]:
            open_managers.popleft()
    for boss in np.flatnonzero((counts > 0) & (counts < MIN_REPORTS)):
        for report in [i for i, m in enumerate(managers) if m == boss]:
            room = np.flatnonzero((counts >= MIN_REPORTS) & (counts < MAX_REPORTS))
            room = [r for r in room if r != report and managers[r] != report]
            if room:
                managers[report] = int(room[0])
                counts[room[0]] += 1
                counts[boss] -= 1
    return managers


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum() or ch == " ").strip()


class _Emails:
    def __init__(self) -> None:
        self._taken: set[str] = set()

    def make(self, first: str, last: str) -> str:
        stem = f"{_ascii(first).replace(' ', '')}.{_ascii(last).replace(' ', '-')}".strip(".")
        stem = stem or "person"
        email, number = f"{stem}@{EMAIL_DOMAIN}", 1
        while email in self._taken:
            number += 1
            email = f"{stem}{number}@{EMAIL_DOMAIN}"
        self._taken.add(email)
        return email


def _title_level(
    rng: np.random.Generator, depth: int, has_reports: bool, top_rank: int
) -> int | None:
    if top_rank == 0:
        return None
    if depth == 0:
        return top_rank
    if has_reports:
        return int(min(top_rank, max(3, top_rank - depth + int(rng.integers(0, 2)))))
    return int(min(top_rank - 1, _pick(rng, {1: 0.16, 2: 0.34, 3: 0.3, 4: 0.15, 5: 0.05})))


def build_organisation(
    rng: np.random.Generator, faker: Faker, people: int, today: date
) -> list[DemoPerson]:
    """`people` people under one chief executive, department heads reporting to them."""
    if people < MIN_PEOPLE:
        raise ValueError(f"A demo organisation needs at least {MIN_PEOPLE} people.")
    emails = _Emails()

    def person(department: Department, title_level: int | None, depth: int) -> DemoPerson:
        index = len(roster)
        first, last = faker.first_name(), faker.last_name()
        tenure_days = int(min(rng.exponential(3.2 * 365) + 20, 15 * 365))
        if depth <= 1:
            tenure_days = max(tenure_days, (4 - 2 * depth) * 365)
        return DemoPerson(
            index=index,
            external_id=f"E{index + 1:05d}",
            name=f"{first} {last}",
            email=emails.make(first, last),
            department=department.name,
            job_family=department.job_family,
            title_level=title_level,
            location=_pick(rng, LOCATIONS),
            hire_date=today - timedelta(days=tenure_days),
            growth=_pick(rng, GROWTH_SHARES),
            attributes={
                "gender": _pick(rng, GENDERS),
                "age_band": _pick(rng, AGE_BANDS),
                "employment": "part-time" if rng.random() < 0.08 else "full-time",
            },
        )

    roster: list[DemoPerson] = []
    executive = Department("Executive", None, 0.0, 0)
    chief = person(executive, None, 0)
    roster.append(chief)
    for department, size in zip(DEPARTMENTS, _department_sizes(people - 1), strict=True):
        tree = _reporting_tree(rng, size)
        has_reports = {m for m in tree if m is not None}
        depths = [0] * size
        first_index = len(roster)
        for local, boss in enumerate(tree):
            depths[local] = 0 if boss is None else depths[boss] + 1
            level = _title_level(rng, depths[local], local in has_reports, department.top_rank)
            member = person(department, level, depths[local])
            member.manager_index = chief.index if boss is None else first_index + boss
            roster.append(member)
        if department.job_family is None:
            for local in (0, 1):
                roster[first_index + local].is_ld_admin = True
    return roster
