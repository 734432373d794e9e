"""Learning goals on both backends: who may set and read them, and progress worked out by hand.

The organisation is `tests.learner_org`: P holds a fresh attestation A = 2 (weight 0.8), so
mastery of A is 2.0 with enough support, and P has no evidence of B or V.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session

from data_model import goals
from data_model.access import OPERATOR, NotPermitted
from data_model.database import alembic_config, migrate_to_head, table_names
from data_model.models import (
    AuditEntry,
    GoalStatus,
    LearningGoal,
    LearningRecord,
    Person,
    SourceKind,
    Verification,
)
from data_model.rollup import refresh_pairs
from tests.learner_org import Org, build_org

TODAY = datetime.now(UTC).date()


@pytest.fixture
def org(engine: Engine) -> Org:
    return build_org(engine)


def set_goal(engine: Engine, org: Org, who: str, goal: dict) -> int:
    with Session(engine) as session, session.begin():
        return goals.set_goal(session, org.viewer(engine, who), org.people[who], goal)


def read(engine: Engine, org: Org, viewer: str, person: str):
    with Session(engine) as session:
        return goals.goals_with_progress(session, org.viewer(engine, viewer), org.people[person])


def test_the_migration_adds_the_goals_table_and_takes_it_away_again(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        session.add(Person(external_id="p1", name="Ada", email="ada@example.com"))
    assert "learning_goals" in table_names(engine)
    columns = {column["name"] for column in inspect(engine).get_columns("learning_goals")}
    assert {"person_id", "competency_id", "target_level", "job_family_id", "target_rank",
            "target_date", "status", "created_at", "achieved_at"} <= columns  # fmt: skip

    command.downgrade(alembic_config(engine), "0003")
    after_downgrade = table_names(engine)
    migrate_to_head(engine)

    assert "learning_goals" not in after_downgrade
    assert "people" in after_downgrade
    assert "learning_goals" in table_names(engine)
    with Session(engine) as session:
        assert session.scalar(select(Person.name)) == "Ada"


def test_a_competency_goal_progresses_as_mastery_over_the_target(engine: Engine, org: Org) -> None:
    by = TODAY + timedelta(days=90)
    goal_id = set_goal(engine, org, "P", {"competency_id": org.competencies["A"],
                                          "target_level": 4, "target_date": by})  # fmt: skip

    [row] = read(engine, org, "P", "P").to_dict("records")

    assert row["goal_id"] == goal_id
    assert row["kind"] == "competency"
    assert row["target"] == "Analysis to level 4"
    assert row["current"] == pytest.approx(2.0)
    assert row["progress"] == pytest.approx(0.5)
    assert not row["met"]
    assert not row["overdue"]
    assert row["target_date"] == by
    assert row["status"] == "active"


def test_a_competency_goal_within_reach_is_met(engine: Engine, org: Org) -> None:
    set_goal(engine, org, "P", {"competency_id": org.competencies["A"], "target_level": 2})

    [row] = read(engine, org, "P", "P").to_dict("records")

    assert row["progress"] == pytest.approx(1.0)
    assert row["met"]


def test_a_role_goal_progresses_as_readiness_for_that_level(engine: Engine, org: Org) -> None:
    set_goal(engine, org, "P", {"job_family_id": org.families["F"], "target_rank": 2})
    set_goal(engine, org, "P", {"job_family_id": org.families["G"], "target_rank": 1})

    rows = read(engine, org, "P", "P").set_index("target")

    # F level 2: A met (credit 1), B and V without evidence (credit 0), equal weights.
    assert rows.loc["F level 2 (Family F)", "progress"] == pytest.approx(1 / 3)
    assert not rows.loc["F level 2 (Family F)", "met"]
    # G level 1 asks only B >= 3, of which P has nothing.
    assert rows.loc["G level 1 (Family G)", "progress"] == pytest.approx(0.0)
    assert set(rows["kind"]) == {"role"}


def test_managers_up_the_chain_read_a_learners_goals_and_others_cannot(
    engine: Engine, org: Org
) -> None:
    set_goal(engine, org, "X", {"competency_id": org.competencies["B"], "target_level": 3})

    assert len(read(engine, org, "P", "X")) == 1
    assert len(read(engine, org, "M", "X")) == 1
    with Session(engine) as session:
        assert len(goals.goals_with_progress(session, OPERATOR, org.people["X"])) == 1
    with pytest.raises(NotPermitted):
        read(engine, org, "O", "X")
    with pytest.raises(NotPermitted):
        read(engine, org, "X", "P")


def test_people_goals_keeps_to_the_viewers_scope(engine: Engine, org: Org) -> None:
    for who in ("P", "O"):
        set_goal(engine, org, who, {"competency_id": org.competencies["A"], "target_level": 3})

    with Session(engine) as session:
        seen = goals.people_goals(
            session, org.viewer(engine, "M"), [org.people["P"], org.people["O"]]
        )

    assert seen["person_id"].tolist() == [org.people["P"]]


def test_only_the_learner_sets_their_goals(engine: Engine, org: Org) -> None:
    with pytest.raises(NotPermitted), Session(engine) as session:
        goals.set_goal(session, org.viewer(engine, "M"), org.people["P"],
                       {"competency_id": org.competencies["A"], "target_level": 3})  # fmt: skip


@pytest.mark.parametrize(
    ("goal", "message"),
    [
        ({}, "Aim for a competency and a level, or for a role, not both."),
        ({"competency_id": 1, "target_level": 3, "job_family_id": 1, "target_rank": 1},
         "Aim for a competency and a level, or for a role, not both."),
        ({"target_level": 3}, "Choose the competency and the level to reach."),
        ({"job_family_id": 1}, "Choose the job family and the level to reach."),
        ({"competency_id": "A", "target_level": 3, "target_date": date(2000, 1, 1)},
         "Choose a date from today on."),
        ({"competency_id": "A", "target_level": 6}, "Choose a level above 0, up to 5."),
        ({"competency_id": "A", "target_level": 0}, "Choose a level above 0, up to 5."),
        ({"job_family_id": "F", "target_rank": 9}, "That job family has no such level."),
    ],
)  # fmt: skip
def test_a_goal_that_makes_no_sense_is_refused_with_a_reason(
    engine: Engine, org: Org, goal: dict, message: str
) -> None:
    goal = dict(goal)
    if goal.get("competency_id") == "A":
        goal["competency_id"] = org.competencies["A"]
    if goal.get("job_family_id") == "F":
        goal["job_family_id"] = org.families["F"]
    with pytest.raises(goals.InvalidGoal, match=message), Session(engine) as session:
        goals.set_goal(session, org.viewer(engine, "P"), org.people["P"], goal)


def test_removing_a_goal_hides_it_keeps_the_row_and_audits(engine: Engine, org: Org) -> None:
    goal_id = set_goal(engine, org, "P", {"competency_id": org.competencies["A"],
                                          "target_level": 3})  # fmt: skip
    with Session(engine) as session, session.begin():
        goals.remove_goal(session, org.viewer(engine, "P"), goal_id)

    assert read(engine, org, "P", "P").empty
    with Session(engine) as session:
        stored = session.get(LearningGoal, goal_id)
        assert stored is not None
        assert stored.status == GoalStatus.REMOVED
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.target_type == "learning_goal")
        ).all()
    assert actions == ["goal_set", "goal_removed"]


def test_a_goal_is_closed_as_achieved_only_once_met(engine: Engine, org: Org) -> None:
    goal_id = set_goal(engine, org, "P", {"competency_id": org.competencies["B"],
                                          "target_level": 2})  # fmt: skip
    viewer = org.viewer(engine, "P")
    with pytest.raises(goals.InvalidGoal, match="not met yet"), Session(engine) as session:
        goals.mark_achieved(session, viewer, goal_id)

    with Session(engine) as session, session.begin():
        session.add(
            LearningRecord(
                dedupe_key="p-b-2", person_id=org.people["P"], competency_id=org.competencies["B"],
                rating=2.5, occurred_at=datetime.now(UTC) - timedelta(days=1),
                source_kind=SourceKind.ATTESTATION, verification=Verification.VERIFIED,
                verified_by_id=org.people["M"],
            )
        )  # fmt: skip
        session.flush()
        refresh_pairs(session, [(org.people["P"], org.competencies["B"])])
    with Session(engine) as session, session.begin():
        goals.mark_achieved(session, viewer, goal_id)

    [row] = read(engine, org, "P", "P").to_dict("records")
    assert row["status"] == "achieved"
    assert row["achieved_at"] is not None


def test_an_active_goal_past_its_date_and_unmet_is_overdue(engine: Engine, org: Org) -> None:
    goal_id = set_goal(engine, org, "P", {"competency_id": org.competencies["V"],
                                          "target_level": 3})  # fmt: skip
    with Session(engine) as session, session.begin():
        stored = session.get(LearningGoal, goal_id)
        assert stored is not None
        stored.target_date = TODAY - timedelta(days=1)

    [row] = read(engine, org, "P", "P").to_dict("records")
    assert row["overdue"]
    assert row["progress"] == pytest.approx(0.0)
