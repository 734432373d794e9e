"""Programme effectiveness on hand-made records. Everyone is in job family F at title level 1.

"A course" (tagged A, target 2) was completed 200 days ago by p1-p5; their window runs from
the end of that month for 90 days. At its start their only evidence is the completion ("at
least 2": mastery 2); an attestation of A=3 inside the window lifts it to 3 (levels 1-3 fully
supported, level 4 not): a gain of 1 each. c1-c5 were attested A=2 before the window and again
inside it: 2 to 2, a gain of 0. t1 and t2 completed "Tiny" (tagged A, target 2) on the same day
and nothing else: 2 to 2.
"""

from datetime import UTC, date, datetime, time, timedelta
from itertools import count

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from data_model.access import OPERATOR
from data_model.models import (
    Activity,
    ActivityCompetency,
    ActivityKind,
    Competency,
    CompetencyCategory,
    Framework,
    JobFamily,
    LearningRecord,
    PathwayLevel,
    Person,
    SourceKind,
)
from data_model.queries.programmes import programme_effectiveness

NOW = datetime.now(UTC)
TAKEN = NOW - timedelta(days=200)
_keys = count()


def _month_end(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


INSIDE = datetime.combine(_month_end(TAKEN.date()) + timedelta(days=30), time(12), UTC)


@pytest.fixture
def records(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        framework = Framework(code="P", name="P", scale_min=0, scale_max=5, proficient_level=3)
        a = Competency(framework=framework, code="A", name="Skill A",
                       category=CompetencyCategory.TECHNICAL)  # fmt: skip
        family = JobFamily(framework=framework, code="F", name="Family")
        family.levels = [PathwayLevel(rank=1, title="Level 1")]
        course, tiny = (
            Activity(external_id=title, title=title, kind=ActivityKind.COURSE, formal=True,
                     tags=[ActivityCompetency(competency=a, target_level=2)])
            for title in ("A course", "Tiny")
        )  # fmt: skip
        session.add_all([framework, family, course, tiny])
        session.flush()

        def record(person: Person, when: datetime, **values: object) -> LearningRecord:
            return LearningRecord(dedupe_key=f"p{next(_keys)}", person_id=person.id,
                                  occurred_at=when, **values)  # fmt: skip

        def rating(person: Person, value: float, when: datetime) -> LearningRecord:
            return record(person, when, competency_id=a.id, rating=value,
                          source_kind=SourceKind.ATTESTATION)  # fmt: skip

        def completion(person: Person, activity: Activity) -> LearningRecord:
            return record(person, TAKEN, activity_id=activity.id, completed=True,
                          source_kind=SourceKind.COURSE)  # fmt: skip

        for key in [f"p{n}" for n in range(1, 6)] + [f"c{n}" for n in range(1, 6)] + ["t1", "t2"]:
            person = Person(external_id=key, name=key, email=f"{key}@example.com",
                            job_family_id=family.id, title_level=1)  # fmt: skip
            session.add(person)
            session.flush()
            if key.startswith("p"):
                session.add_all([completion(person, course), rating(person, 3, INSIDE)])
            elif key.startswith("c"):
                session.add_all([rating(person, 2, TAKEN - timedelta(days=10)),
                                 rating(person, 2, INSIDE)])  # fmt: skip
            else:
                session.add(completion(person, tiny))


def test_gain_against_the_comparison_group(engine: Engine, records: None) -> None:
    """A course: 5 participants gain 1; its comparison group is c1-c5 and t1-t2 (same family
    and level, did not take it), gaining 0. Tiny has 2 participants: suppressed. The course
    kind pools seven participations: gains 1 x 5 and 0 x 2; their comparisons: 0 for the
    course takers, and for Tiny's takers the ten others, (5 x 1 + 5 x 0) / 10 = 0.5."""
    with Session(engine) as session:
        frame = programme_effectiveness(session, OPERATOR)
    rows = {
        (row["scope"], row["kind"] if row["scope"] == "kind" else row["activity"]): row
        for row in frame.to_dict("records")
    }
    course = rows[("activity", "A course")]
    assert (course["participants"], course["comparison_people"]) == (5, 7)
    assert course["participant_gain"] == pytest.approx(1.0)
    assert course["comparison_gain"] == pytest.approx(0.0, abs=1e-9)
    assert course["difference"] == pytest.approx(1.0)
    assert not course["suppressed"]
    tiny = rows[("activity", "Tiny")]
    assert tiny["suppressed"]
    assert tiny["participant_gain"] != tiny["participant_gain"]  # hidden
    kind = rows[("kind", "course")]
    assert (kind["participants"], kind["comparison_people"]) == (7, 12)
    assert kind["participant_gain"] == pytest.approx(5 / 7)
    assert kind["comparison_gain"] == pytest.approx(1 / 7)
    assert kind["difference"] == pytest.approx(4 / 7)


def test_windows_that_have_not_ended_are_left_out(engine: Engine, records: None) -> None:
    """With a 400-day window, a completion 200 days ago has no finished window: no rows."""
    with Session(engine) as session:
        assert programme_effectiveness(session, OPERATOR, window_days=400).empty
