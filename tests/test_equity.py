"""Progression equity on a hand-made roster. Job family F: level 1 needs A >= 1, level 2
A >= 2; everyone's title is level 1, so only someone who holds level 2 is ready (for it).

Big (6 people): b1, b2, b6 rated A=1 yesterday (hold 1; readiness for 2 = 1/2; a year ago
they held 0: levelled up); b3 rated A=2 yesterday (holds 2, above title: ready, readiness 1;
levelled up); b4 rated A=1 twice 400 days ago (support 2 x 0.8 x 0.5^(400/365) = 0.75 now,
held 1 a year ago too: no level-up; readiness 1/2); b5 has no evidence (readiness 0).
Small (2 people): fewer than 5, shown without numbers.
"""

from datetime import UTC, datetime, timedelta
from itertools import count

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from data_model.access import OPERATOR, Viewer
from data_model.models import (
    Competency,
    CompetencyCategory,
    Framework,
    JobFamily,
    LearningRecord,
    LevelRequirement,
    PathwayLevel,
    Person,
    SourceKind,
)
from data_model.queries.equity import (
    UnknownAttribute,
    equity_attributes,
    equity_basis,
    progression_equity,
)
from data_model.queries.groups import group_progress
from data_model.rollup import recompute_all
from tests.seeded_demo import assert_rows, seed_frozen_demo

NOW = datetime.now(UTC)
_keys = count()
PEOPLE = {  # key: department, gender (None: not recorded), ratings of A as (value, days ago)
    "b1": ("Big", "woman", [(1, 1)]),
    "b2": ("Big", "woman", [(1, 1)]),
    "b3": ("Big", "woman", [(2, 1)]),
    "b4": ("Big", "woman", [(1, 400), (1, 400)]),
    "b5": ("Big", "woman", []),
    "b6": ("Big", "man", [(1, 1)]),
    "s1": ("Small", "man", [(1, 1)]),
    "s2": ("Small", None, []),
}


@pytest.fixture
def roster(engine: Engine) -> dict[str, int]:
    with Session(engine) as session, session.begin():
        framework = Framework(code="E", name="E", scale_min=0, scale_max=5, proficient_level=3)
        a = Competency(framework=framework, code="A", name="Skill A",
                       category=CompetencyCategory.TECHNICAL)  # fmt: skip
        family = JobFamily(framework=framework, code="F", name="Family")
        for rank in (1, 2):
            level = PathwayLevel(job_family=family, rank=rank, title=f"Level {rank}")
            level.requirements = [LevelRequirement(competency=a, required_level=rank)]
        session.add_all([framework, family])
        session.flush()
        ids = {}
        for key, (department, gender, ratings) in PEOPLE.items():
            person = Person(external_id=key, name=key, email=f"{key}@example.com",
                            job_family_id=family.id, title_level=1, department=department,
                            attributes={} if gender is None else {"gender": gender})  # fmt: skip
            session.add(person)
            session.flush()
            ids[key] = person.id
            session.add_all(
                LearningRecord(
                    dedupe_key=f"e{next(_keys)}",
                    person_id=person.id,
                    competency_id=a.id,
                    rating=value,
                    source_kind=SourceKind.ATTESTATION,
                    occurred_at=NOW - timedelta(days=days),
                )
                for value, days in ratings
            )
    recompute_all(engine)
    return ids


def _rows(engine: Engine, attribute: str, viewer: Viewer = OPERATOR) -> dict:
    with Session(engine) as session:
        frame = progression_equity(session, viewer, attribute)
    return {row["group"]: row for row in frame.to_dict("records")}


def test_by_department(engine: Engine, roster: dict[str, int]) -> None:
    rows = _rows(engine, "department")
    assert list(rows) == ["Big", "Small"]
    big = rows["Big"]
    assert big["people"] == 6
    assert big["mean_readiness"] == pytest.approx(3 / 6)  # 1/2 x 4 + 1 + 0
    assert big["share_ready"] == pytest.approx(1 / 6)  # b3
    assert big["level_up_rate"] == pytest.approx(4 / 6)  # b1, b2, b3, b6
    assert not big["suppressed"]
    small = rows["Small"]
    assert small["suppressed"]
    assert pd.isna(small["people"])
    assert all(small[key] != small[key] for key in ("mean_readiness", "share_ready",
                                                    "level_up_rate"))  # fmt: skip


def test_by_an_imported_attribute(engine: Engine, roster: dict[str, int]) -> None:
    """woman: b1-b5, readiness (1/2 x 3 + 1 + 0) / 5, ready 1/5, levelled up 3/5; man (b6,
    s1) and not recorded (s2) are fewer than 5."""
    rows = _rows(engine, "gender")
    assert list(rows) == ["woman", "Not recorded", "man"]
    woman = rows["woman"]
    assert (woman["people"], woman["suppressed"]) == (5, False)
    assert woman["mean_readiness"] == pytest.approx(0.5)
    assert woman["share_ready"] == pytest.approx(0.2)
    assert woman["level_up_rate"] == pytest.approx(0.6)
    assert rows["man"]["suppressed"]
    assert rows["Not recorded"]["suppressed"]


def test_attributes_and_unknown_ones(engine: Engine, roster: dict[str, int]) -> None:
    with Session(engine) as session:
        assert equity_attributes(session) == ["department", "location", "gender"]
        with pytest.raises(UnknownAttribute):
            progression_equity(session, OPERATOR, "salary")


def test_scoped_to_the_viewer(engine: Engine, roster: dict[str, int]) -> None:
    """b1 sees only themselves: one person, suppressed."""
    viewer = Viewer(person_id=roster["b1"], email="b1@example.com", name="b1")
    rows = _rows(engine, "department", viewer)
    assert list(rows) == ["Big"]
    assert rows["Big"]["suppressed"]


@pytest.fixture
def demo(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    return seed_frozen_demo(engine, monkeypatch)


BY_DEPARTMENT = [
    ("Product Engineering", 47, 0.761199525, 0.085106383, 0.425531915, False),
    ("Data & Insights", 41, 0.90623925, 0.097560976, 0.56097561, False),
    ("Platform Engineering", 37, 0.843958537, 0.054054054, 0.540540541, False),
    ("Customer Analytics", 17, 0.870191862, 0.058823529, 0.352941176, False),
    ("People & Learning", 7, None, None, None, False),
    ("Executive", None, None, None, None, True),
]
BY_LOCATION = [
    ("London", 57, 0.773743628, 0.075471698, 0.41509434, False),
    ("Manchester", 28, 0.910502924, 0.074074074, 0.518518519, False),
    ("Remote", 19, 0.822134488, 0.055555556, 0.444444444, False),
    ("Berlin", 16, 0.900263149, 0.066666667, 0.6, False),
    ("Lisbon", 16, 0.871035313, 0.066666667, 0.6, False),
    ("Edinburgh", 14, 0.85657325, 0.142857143, 0.5, False),
]


def test_pinned_on_the_seeded_demo(demo: Engine) -> None:
    """The demo organisation's figures at a frozen moment, as the straightforward
    implementation (every figure computed afresh) gave them: faster reads must not move them."""
    with Session(demo) as session:
        assert_rows(progression_equity(session, OPERATOR, "department"), BY_DEPARTMENT)
        assert_rows(progression_equity(session, OPERATOR, "location"), BY_LOCATION)


def test_kept_basis_and_roll_up_give_the_same_figures(demo: Engine) -> None:
    """The page keeps the organisation's roll-up and the basis, and compares attribute after
    attribute from them."""
    with Session(demo) as session:
        people = group_progress(session, OPERATOR).people
        basis = equity_basis(session, OPERATOR, people)
        assert_rows(progression_equity(session, OPERATOR, "department", basis), BY_DEPARTMENT)
        assert_rows(progression_equity(session, OPERATOR, "location", basis), BY_LOCATION)
