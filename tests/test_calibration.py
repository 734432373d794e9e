"""Calibration on hand-made ratings. Scale 0-5: one rating R gives mastery R (each level L up to
R is fully supported, none above), so every number below is worked out from the ratings."""

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data_model.access import OPERATOR, NotPermitted, Viewer
from data_model.models import (
    Competency,
    CompetencyCategory,
    Framework,
    LearningRecord,
    Person,
    SourceKind,
    Verification,
)
from data_model.queries.calibration import group_calibration, person_calibration

_keys = count()


def _rating(person: Person, competency: Competency, value: float, source: SourceKind,
            verification: Verification = Verification.NOT_NEEDED) -> LearningRecord:  # fmt: skip
    """A rating made a day before now: the test reads it within seconds, so its support has
    faded by one day's worth (to a relative 1e-5, about seven minutes)."""
    return LearningRecord(
        dedupe_key=f"c{next(_keys)}", person_id=person.id, competency_id=competency.id,
        rating=value, occurred_at=datetime.now(UTC) - timedelta(days=1), source_kind=source,
        verification=verification,
    )  # fmt: skip


@pytest.fixture
def people(engine: Engine) -> dict[str, int]:
    """A rates X 4 themselves and is attested 2 (high by 2); rates Y 1, attested 2 (low by 1);
    rates Z 3 with only a pending project claim besides (no other side: not listed).
    B rates X 2.5, attested 2 (aligned, 0.5 is not under half a level: high); C has nothing."""
    with Session(engine) as session, session.begin():
        framework = Framework(code="K", name="K", scale_min=0, scale_max=5, proficient_level=3)
        x, y, z = (Competency(framework=framework, code=code, name=f"Skill {code}",
                              category=CompetencyCategory.TECHNICAL) for code in "XYZ")  # fmt: skip
        session.add(framework)
        found = {}
        for key in "ABC":
            person = Person(external_id=key, name=f"Person {key}", email=f"{key}@example.com")
            session.add(person)
            session.flush()
            found[key] = person
        a, b = found["A"], found["B"]
        session.add_all([
            _rating(a, x, 4, SourceKind.SELF_REPORT), _rating(a, x, 2, SourceKind.ATTESTATION),
            _rating(a, y, 1, SourceKind.SELF_REPORT), _rating(a, y, 2, SourceKind.ATTESTATION),
            _rating(a, z, 3, SourceKind.SELF_REPORT),
            _rating(a, z, 5, SourceKind.PROJECT, Verification.PENDING),
            _rating(b, x, 2.5, SourceKind.SELF_REPORT), _rating(b, x, 2, SourceKind.ASSESSMENT),
        ])  # fmt: skip
        for person in (b, found["C"]):
            person.manager_id = a.id
        return {key: person.id for key, person in found.items()}


def test_person_calibration_gap_and_direction(engine: Engine, people: dict[str, int]) -> None:
    with Session(engine) as session:
        frame = person_calibration(session, OPERATOR, people["A"])
    assert list(frame["competency"]) == ["X", "Y"]  # largest gap first; Z has no other side
    assert frame["self_rating"].tolist() == pytest.approx([4.0, 1.0])
    assert frame["others_mastery"].tolist() == pytest.approx([2.0, 2.0])
    assert frame["gap"].tolist() == pytest.approx([2.0, -1.0])
    assert list(frame["direction"]) == ["high", "low"]
    assert frame["others_support"].iloc[0] == pytest.approx(0.8 * 0.5 ** (1 / 365), rel=1e-5)


def test_group_calibration(engine: Engine, people: dict[str, int]) -> None:
    """X: A +2 (high), B +0.5 (high: a gap of half a level counts); Y: A -1 (low)."""
    with Session(engine) as session:
        frame = group_calibration(session, OPERATOR, select(Person.id))
        nobody = group_calibration(session, OPERATOR, select(Person.id).where(Person.id < 0))
    rows = frame.set_index("competency")
    assert rows.loc["X", "people"] == 2
    assert rows.loc["X", "mean_gap"] == pytest.approx(1.25)
    assert (rows.loc["X", "share_high"], rows.loc["X", "share_low"]) == (1.0, 0.0)
    assert (rows.loc["Y", "people"], rows.loc["Y", "share_low"]) == (1, 1.0)
    assert nobody.empty


def test_calibration_is_scoped(engine: Engine, people: dict[str, int]) -> None:
    """B sees only themselves: the group read leaves A out, and A's own page is refused."""
    viewer = Viewer(person_id=people["B"], email="B@example.com", name="Person B")
    with Session(engine) as session:
        frame = group_calibration(session, viewer, select(Person.id))
        with pytest.raises(NotPermitted):
            person_calibration(session, viewer, people["A"])
    assert frame["people"].tolist() == [1]
    assert frame["mean_gap"].tolist() == pytest.approx([0.5])
