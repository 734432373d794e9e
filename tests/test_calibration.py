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
from data_model.queries.calibration import calibration_of, group_calibration, person_calibration
from tests.seeded_demo import assert_rows, seed_frozen_demo

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


@pytest.fixture
def demo(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    return seed_frozen_demo(engine, monkeypatch)


EVERYONE = [
    ("DA-EXP", "Experimentation", 5, 0.669622077, 0.8, 0.2),
    ("PR-STAKE", "Stakeholder management", 12, 0.452044651, 0.416666667, 0.0),
    ("PR-LEAD", "Leadership and ownership", 8, 0.318338376, 0.5, 0.25),
    ("SE-SEC", "Secure engineering", 5, 0.245000475, 0.2, 0.0),
    ("SE-DEL", "Delivery and CI/CD", 6, 0.223736996, 0.333333333, 0.0),
    ("PR-MENT", "Mentoring and coaching", 12, -0.223478905, 0.083333333, 0.333333333),
    ("PR-COMM", "Communication", 11, 0.195812951, 0.363636364, 0.090909091),
    ("SE-OPS", "Operating services", 4, 0.161087741, 0.0, 0.0),
    ("VA-LEARN", "Curiosity and learning", 11, 0.152533607, 0.272727273, 0.181818182),
    ("SE-DES", "Software design", 8, 0.141088885, 0.25, 0.0),
    ("SE-CODE", "Code craft", 6, -0.114999493, 0.0, 0.166666667),
    ("DA-SQL", "SQL and data modelling", 5, -0.112567605, 0.2, 0.2),
    ("VA-CUST", "Customer focus", 14, 0.112338268, 0.357142857, 0.285714286),
    ("DA-VIZ", "Data visualisation and storytelling", 10, -0.087678974, 0.1, 0.3),
    ("VA-INT", "Integrity", 5, -0.082241557, 0.4, 0.4),
    ("DA-STAT", "Statistical analysis", 5, -0.068242236, 0.4, 0.2),
    ("PR-PROB", "Problem solving", 12, -0.067405256, 0.25, 0.25),
    ("DA-PY", "Programming for analysis", 4, -0.061662964, 0.25, 0.25),
    ("SE-TEST", "Testing", 5, -0.045929553, 0.0, 0.2),
    ("DA-GOV", "Data quality and governance", 10, -0.041900246, 0.2, 0.1),
    ("VA-INCL", "Inclusion", 8, -0.009872486, 0.25, 0.25),
]
DATA_FAMILY = [
    ("DA-EXP", "Experimentation", 4, 0.638853777, 0.75, 0.25),
    ("SE-TEST", "Testing", 1, -0.548510441, 0.0, 1.0),
    ("VA-INT", "Integrity", 2, 0.473868127, 0.5, 0.0),
    ("PR-STAKE", "Stakeholder management", 5, 0.42797985, 0.4, 0.0),
    ("VA-LEARN", "Curiosity and learning", 5, 0.42787638, 0.4, 0.0),
    ("VA-INCL", "Inclusion", 3, 0.413784974, 0.333333333, 0.0),
    ("PR-COMM", "Communication", 6, 0.350664871, 0.5, 0.166666667),
    ("VA-CUST", "Customer focus", 2, 0.311523626, 0.5, 0.0),
    ("PR-MENT", "Mentoring and coaching", 5, -0.235047183, 0.2, 0.4),
    ("SE-DES", "Software design", 1, 0.124476977, 0.0, 0.0),
    ("DA-SQL", "SQL and data modelling", 5, -0.112567605, 0.2, 0.2),
    ("PR-PROB", "Problem solving", 2, -0.085802173, 0.0, 0.0),
    ("DA-STAT", "Statistical analysis", 5, -0.068242236, 0.4, 0.2),
    ("DA-PY", "Programming for analysis", 4, -0.061662964, 0.25, 0.25),
    ("PR-LEAD", "Leadership and ownership", 4, -0.061129938, 0.25, 0.5),
    ("DA-GOV", "Data quality and governance", 10, -0.041900246, 0.2, 0.1),
    ("DA-VIZ", "Data visualisation and storytelling", 9, -0.041865526, 0.111111111, 0.222222222),
]


def test_pinned_on_the_seeded_demo(demo: Engine) -> None:
    """The demo organisation's figures at a frozen moment, as the straightforward
    implementation (every record read and rolled up twice) gave them: faster reads must not
    move them."""
    with Session(demo) as session:
        assert_rows(group_calibration(session, OPERATOR, select(Person.id)), EVERYONE)
        assert_rows(calibration_of(session, OPERATOR, job_family="DATA"), DATA_FAMILY)
