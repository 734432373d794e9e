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
from data_model.queries import programmes
from data_model.queries.programmes import COLUMNS, programme_effectiveness
from tests.seeded_demo import assert_rows, seed_frozen_demo

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


@pytest.fixture
def demo(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    return seed_frozen_demo(engine, monkeypatch)


SHOWN_ON_THE_DEMO = {
    ("activity", "Living our values: customer focus"): (5, 43, 1.010089863, 0.805338406),
    ("activity", "Mentoring in stakeholder management"): (7, 53, 0.316114616, 0.874746906),
    ("activity", "Communication for senior staff"): (11, 49, -0.025887404, 0.559423324),
    ("activity", "Stakeholder management for senior staff"): (13, 51, -0.016736994, 0.57096371),
    ("activity", "Mentoring in communication"): (8, 35, 0.02457584, 0.633369208),
    ("activity", "Living our values: integrity"): (9, 43, 0.026163252, 0.656929494),
    ("activity", "Mentoring and coaching for senior staff"): (19, 73, 0.120644124, 0.758222613),
    ("activity", "Conference talk track: experimentation"): (5, 26, 0.058536712, 0.747818079),
    ("activity", "Mentoring in mentoring and coaching"): (10, 33, -0.055656667, 0.647030274),
    ("activity", "Lead project: rebuild the customer data mart"): (5, 25, 0.016794824, 0.732092882),
    ("activity", "Living our values: inclusion"): (7, 24, 0.512209259, 1.251523507),
    ("activity", "Mentoring in leadership and ownership"): (6, 39, 0.081086735, 0.84873746),
    ("activity", "Testing bootcamp"): (5, 22, -0.102662533, 0.706179645),
    ("activity", "Conference talk track: secure engineering"): (5, 24, 0.334691087, 1.152110804),
    ("activity", "Delivery and CI/CD masterclass"): (5, 12, 0.0, 0.835807843),
    ("activity", "Mentoring in problem solving"): (9, 55, 0.060734853, 0.904611138),
    ("activity", "Statistical analysis masterclass"): (5, 30, 0.0, 0.897610107),
    ("activity", "Stretch assignment: run the analytics intake process"): (
        8,
        60,
        -0.004042231,
        0.89709083,
    ),
    ("activity", "Stretch assignment: write the quarterly engineering update"): (
        9,
        63,
        0.010772273,
        0.93892086,
    ),
    ("activity", "Stretch assignment: buddy two new joiners"): (8, 34, 0.3125, 1.296556209),
    ("activity", "Problem solving for senior staff"): (14, 54, 0.006883945, 1.033454477),
    ("activity", "Stretch assignment: lead the incident root-cause review"): (
        13,
        48,
        -0.010738542,
        1.021434557,
    ),
    ("activity", "Leadership and ownership for senior staff"): (10, 33, -0.0, 1.097504536),
    ("activity", "Stretch assignment: lead the cross-team migration"): (
        10,
        33,
        0.048652041,
        1.265783677,
    ),
    ("activity", "Testing masterclass"): (5, 37, 0.058553939, 1.97791349),
    ("kind", "reading"): (13, 37, 0.191097894, 0.419880878),
    ("kind", "portfolio"): (20, 63, 0.14809688, 0.805664763),
    ("kind", "project"): (40, 106, 0.061840755, 0.735953778),
    ("kind", "mentoring"): (40, 98, 0.072149411, 0.779329202),
    ("kind", "course"): (155, 122, 0.078407631, 0.806542226),
    ("kind", "conference"): (30, 86, 0.247856225, 0.985107148),
    ("kind", "bootcamp"): (20, 49, -0.046601872, 0.715425154),
    ("kind", "assessment"): (48, 107, 0.039970231, 0.891922876),
    ("kind", "certification"): (22, 73, 0.065855658, 1.061176778),
    ("kind", "stretch_assignment"): (48, 105, 0.060656916, 1.089758358),
}
"""(scope, activity or kind) -> participants, comparison people, participant and comparison
gain of each row with figures, in order; 127 more rows are suppressed."""


@pytest.mark.parametrize("read_by", ["id", "range"])
def test_pinned_on_the_seeded_demo(
    demo: Engine, read_by: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo organisation's figures at a frozen moment, as the straightforward
    implementation (a pass in Python per activity) gave them: faster reads must not move
    them, whether the people's evidence is read by id or, as for a large group, by the range
    of their ids."""
    if read_by == "range":
        monkeypatch.setattr(programmes, "BY_ID_UP_TO", 0)
    with Session(demo) as session:
        frame = programme_effectiveness(session, OPERATOR)
    shown = frame[~frame["suppressed"]]
    keys = [(scope, activity if scope == "activity" else kind)
            for scope, activity, kind in zip(shown["scope"], shown["activity"], shown["kind"],
                                             strict=True)]  # fmt: skip
    assert keys == list(SHOWN_ON_THE_DEMO)
    assert_rows(shown[COLUMNS[3:7]], list(SHOWN_ON_THE_DEMO.values()))
    difference = shown["participant_gain"] - shown["comparison_gain"]
    assert shown["difference"].tolist() == pytest.approx(difference.tolist())
    hidden = frame[frame["suppressed"]]
    assert len(hidden) == 127
    assert hidden[COLUMNS[3:8]].isna().all().all()
