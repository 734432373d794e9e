"""Adding and removing competencies and pathway levels, and a competency's own mastery
settings (previewed, then saved), through `loaders.framework_edit`, on both backends.

A removal must lose nothing but what it names: it is refused, with nothing changed, while
records, goals, catalogue activities or people's titles point at what would go.
"""

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from data_model.access import NotPermitted, Viewer
from data_model.models import (
    ActivityCompetency,
    AuditEntry,
    Competency,
    Framework,
    GoalStatus,
    JobFamily,
    LearningGoal,
    LearningRecord,
    LevelDescriptor,
    LevelRequirement,
    MasteryScore,
    PathwayLevel,
    Person,
)
from data_model.queries import demo_personas
from data_model.queries.mastery import people_mastery
from data_model.queries.progress import _evaluate, _people
from data_model.rollup import recompute_all
from loaders import framework_edit
from loaders.demo import seed_demo_organisation
from loaders.framework_edit import EditRefused, overrides_from_form
from loaders.framework_yaml import FrameworkSpec, apply_framework

DEMO = {"people": 40, "records_per_person": 20}


@pytest.fixture
def demo(engine: Engine) -> tuple[Engine, Viewer, int]:
    seed_demo_organisation(engine, **DEMO)
    with Session(engine) as session:
        return engine, demo_personas(session)["ld_admin"], session.scalar(select(Framework.id))


def audit_entries(engine: Engine, action: str) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


def audit_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(AuditEntry))


def competency_id(engine: Engine, code: str) -> int | None:
    with Session(engine) as session:
        return session.scalar(select(Competency.id).where(Competency.code == code))


def family(engine: Engine, code: str) -> tuple[int, dict[int, int]]:
    """The job family's id and its level ids by rank."""
    with Session(engine) as session:
        found = session.scalar(select(JobFamily).where(JobFamily.code == code))
        return found.id, {level.rank: level.id for level in found.levels}


def add_new_competency(engine: Engine, admin: Viewer, framework_id: int, **fields) -> None:
    with Session(engine) as session, session.begin():
        framework_edit.add_competency(
            session, admin, framework_id,
            **{"code": "DA-ETH", "name": "Data ethics", "category": "values", **fields},
        )  # fmt: skip


# Adding a competency -----------------------------------------------------------------------


def test_a_new_competency_is_added_with_its_descriptors_and_audited(demo) -> None:
    engine, admin, framework_id = demo
    with Session(engine) as session, session.begin():
        changes = framework_edit.add_competency(
            session, admin, framework_id, code=" DA-ETH ", name=" Data ethics ",
            category="values", description="Using data fairly.",
            descriptors={1: "Knows the rules.", 3: "Applies them unaided.", 4: "  "},
        )  # fmt: skip

    assert changes.competencies_added == ("DA-ETH",)
    assert changes.summary().startswith("Framework pathwise-demo updated. Competencies: 1 added")
    new_id = competency_id(engine, "DA-ETH")
    with Session(engine) as session:
        added = session.get(Competency, new_id)
        assert (added.framework_id, added.name, added.category, added.description) == (
            framework_id,
            "Data ethics",
            "values",
            "Using data fairly.",
        )
        assert added.mastery_settings == {}
        levels = session.execute(
            select(LevelDescriptor.level, LevelDescriptor.description)
            .where(LevelDescriptor.competency_id == new_id)
            .order_by(LevelDescriptor.level)
        ).all()
    assert levels == [(1, "Knows the rules."), (3, "Applies them unaided.")]
    [entry] = audit_entries(engine, "framework.competency.add")
    assert entry.actor == admin.email
    assert (entry.target_type, entry.target_id) == ("competency", str(new_id))
    assert entry.details["after"]["code"] == "DA-ETH"
    assert entry.details["after"]["levels"] == {
        "1": "Knows the rules.",
        "3": "Applies them unaided.",
    }


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"code": "DA-SQL"}, "The code DA-SQL is already used by DA-SQL (SQL and data "
                             "modelling). Codes must be unique, whatever their case: choose "
                             "another."),
        ({"code": "da-sql"}, "The code da-sql is already used by DA-SQL (SQL and data "
                             "modelling)."),
        ({"code": "   "}, "The code cannot be empty."),
        ({"code": "X" * 65}, "The code is 65 characters long; the most is 64."),
        ({"name": " "}, "The name cannot be empty."),
        ({"category": "wizardry"}, "The category must be one of technical, professional, values."),
        ({"descriptors": {6: "Beyond"}}, "Descriptors are for levels on the scale, from 0 to 5; "
                                         "6 is not."),
    ],
)  # fmt: skip
def test_a_competency_with_a_taken_code_or_no_name_is_not_added(
    demo, fields: dict, message: str
) -> None:
    engine, admin, framework_id = demo
    with Session(engine) as session:
        competencies = session.scalar(select(func.count()).select_from(Competency))
    with pytest.raises(EditRefused) as refused:
        add_new_competency(engine, admin, framework_id, **fields)

    assert str(refused.value).startswith(message)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Competency)) == competencies
    assert not audit_entries(engine, "framework.competency.add")


def test_a_code_another_framework_uses_is_refused_and_named(demo) -> None:
    engine, admin, framework_id = demo
    other = FrameworkSpec.model_validate(
        {"code": "leadership", "name": "Leadership", "competencies": [
            {"code": "LD-COACH", "name": "Coaching", "category": "professional"}]}
    )  # fmt: skip
    with Session(engine) as session, session.begin():
        apply_framework(session, other)

    used = r"already used by LD-COACH \(Coaching\) in the framework Leadership\."
    with pytest.raises(EditRefused, match=used):
        add_new_competency(engine, admin, framework_id, code="LD-COACH")


# Removing a competency ---------------------------------------------------------------------


def test_a_competency_that_records_hold_is_not_removed_and_nothing_is_lost(demo) -> None:
    engine, admin, _ = demo
    held = competency_id(engine, "DA-SQL")
    with Session(engine) as session:
        named = select(LearningRecord.id).where(LearningRecord.competency_id == held)
        tagged = (
            select(LearningRecord.id)
            .join(ActivityCompetency, ActivityCompetency.activity_id == LearningRecord.activity_id)
            .where(ActivityCompetency.competency_id == held, LearningRecord.competency_id.is_(None))
        )
        records = len(set(session.scalars(named)) | set(session.scalars(tagged)))
        activities = session.scalar(
            select(func.count()).where(ActivityCompetency.competency_id == held)
        )
        requirements = session.scalar(
            select(func.count()).where(LevelRequirement.competency_id == held)
        )
        all_records = session.scalar(select(func.count()).select_from(LearningRecord))
    assert records > 1
    assert activities > 1
    assert requirements > 0

    with (
        pytest.raises(EditRefused) as refused,
        Session(engine) as session,
        session.begin(),
    ):
        framework_edit.remove_competency(session, admin, held)

    assert str(refused.value) == (
        f"DA-SQL cannot be removed: {records:,} learning records hold it and {activities} "
        "catalogue activities give evidence of it (load the catalogue again without it first). "
        "Nothing was changed."
    )
    with Session(engine) as session:
        assert session.get(Competency, held) is not None
        assert session.scalar(select(func.count()).select_from(LearningRecord)) == all_records
        assert (
            session.scalar(select(func.count()).where(LevelRequirement.competency_id == held))
            == requirements
        )
    assert not audit_entries(engine, "framework.competency.remove")


def test_a_competency_without_records_goes_with_its_requirements(demo) -> None:
    engine, admin, framework_id = demo
    add_new_competency(engine, admin, framework_id, descriptors={2: "Knows the rules."})
    new_id = competency_id(engine, "DA-ETH")
    _, levels = family(engine, "DATA")
    for rank, required in ((1, 1.0), (3, 2.5)):
        with Session(engine) as session, session.begin():
            framework_edit.update_requirement(
                session, admin, levels[rank], new_id, required=required, critical=rank == 3
            )

    with Session(engine) as session, session.begin():
        removed = framework_edit.remove_competency(session, admin, new_id)

    assert removed.summary() == (
        "Framework pathwise-demo updated. Competency DA-ETH removed, with its 2 requirements "
        "(DATA level 1 and DATA level 3)."
    )
    with Session(engine) as session:
        assert session.get(Competency, new_id) is None
        assert not session.scalar(
            select(func.count()).where(LevelRequirement.competency_id == new_id)
        )
        assert not session.scalar(
            select(func.count()).where(LevelDescriptor.competency_id == new_id)
        )
        assert session.scalar(select(func.count()).select_from(Competency)) == 21
    [entry] = audit_entries(engine, "framework.competency.remove")
    assert (entry.actor, entry.target_id) == (admin.email, str(new_id))
    assert entry.details["before"]["levels"] == {"2": "Knows the rules."}
    assert entry.details["before"]["requirements"] == {
        "DATA level 1": {"level": 1.0, "weight": 1.0, "critical": False},
        "DATA level 3": {"level": 2.5, "weight": 1.0, "critical": True},
    }


def test_a_goal_on_a_competency_keeps_it(demo) -> None:
    engine, admin, framework_id = demo
    add_new_competency(engine, admin, framework_id)
    new_id = competency_id(engine, "DA-ETH")
    with Session(engine) as session, session.begin():
        session.add(
            LearningGoal(person_id=admin.person_id, competency_id=new_id, target_level=3,
                         status=GoalStatus.REMOVED, created_by=admin.email)
        )  # fmt: skip

    with (
        pytest.raises(
            EditRefused, match=r"^DA-ETH cannot be removed: 1 learning goal aims at it\."
        ),
        Session(engine) as session,
        session.begin(),
    ):
        framework_edit.remove_competency(session, admin, new_id)

    with Session(engine) as session:
        assert session.get(Competency, new_id) is not None
        assert session.scalar(select(func.count()).select_from(LearningGoal)) == 1


# Adding and removing levels ----------------------------------------------------------------


def test_a_level_is_added_above_the_top_keeping_weights_from_the_level_below(demo) -> None:
    engine, admin, _ = demo
    family_id, levels = family(engine, "DATA")
    top = max(levels)
    sql, ethics = competency_id(engine, "DA-SQL"), competency_id(engine, "VA-INT")
    with Session(engine) as session, session.begin():
        framework_edit.update_requirement(
            session, admin, levels[top], sql, required=4, weight=2, critical=True
        )
        asked_below = {r.competency_id for r in session.get(PathwayLevel, levels[top]).requirements}
    assert ethics in asked_below

    with Session(engine) as session, session.begin():
        changes = framework_edit.add_level(
            session, admin, family_id, title=" Distinguished Data Analyst ",
            description="Sets the direction.", requirements={sql: 5, ethics: 4.5},
        )  # fmt: skip

    assert changes.levels_added == (f"DATA level {top + 1} (Distinguished Data Analyst)",)
    assert set(changes.requirements_added) == {
        f"DATA level {top + 1}: DA-SQL at 5 (weight 2, critical)",
        f"DATA level {top + 1}: VA-INT at 4.5",
    }
    with Session(engine) as session:
        added = session.scalar(
            select(PathwayLevel).where(
                PathwayLevel.job_family_id == family_id, PathwayLevel.rank == top + 1
            )
        )
        assert (added.title, added.description) == ("Distinguished Data Analyst",
                                                     "Sets the direction.")  # fmt: skip
        asked = {(r.competency_id, r.required_level, r.weight, r.critical)
                 for r in added.requirements}  # fmt: skip
    assert asked == {(sql, 5.0, 2.0, True), (ethics, 4.5, 1.0, False)}
    [entry] = audit_entries(engine, "framework.level.add")
    assert (entry.target_type, entry.target_id) == ("pathway_level", str(added.id))
    assert entry.details["after"]["requirements"]["DA-SQL"] == {
        "level": 5.0, "weight": 2.0, "critical": True,
    }  # fmt: skip


def test_the_first_level_of_a_family_without_levels_is_level_1(demo) -> None:
    engine, admin, framework_id = demo
    with Session(engine) as session, session.begin():
        session.add(JobFamily(framework_id=framework_id, code="UX", name="User research"))
    family_id, _ = family(engine, "UX")

    with Session(engine) as session, session.begin():
        framework_edit.add_level(session, admin, family_id, title="Researcher", requirements={})

    assert family(engine, "UX")[1].keys() == {1}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "  "}, "The title cannot be empty."),
        ({"requirements": {"DA-SQL": 6}},
         "The required level must lie on the scale, from 0 to 5; 6 does not."),
    ],
)  # fmt: skip
def test_a_level_without_a_title_or_off_the_scale_is_not_added(
    demo, fields: dict, message: str
) -> None:
    engine, admin, _ = demo
    family_id, levels = family(engine, "DATA")
    asked = fields.get("requirements", {})
    requirements = {competency_id(engine, code): level for code, level in asked.items()}
    with (
        pytest.raises(EditRefused, match=message.replace(".", r"\.")),
        Session(engine) as session,
        session.begin(),
    ):
        framework_edit.add_level(
            session, admin, family_id, title=fields.get("title", "Fine"), requirements=requirements
        )
    assert family(engine, "DATA")[1] == levels
    assert not audit_entries(engine, "framework.level.add")


def test_the_top_level_goes_only_when_nobody_holds_or_aims_for_it(demo) -> None:
    engine, admin, _ = demo
    family_id, levels = family(engine, "DATA")
    top = max(levels)
    with Session(engine) as session:
        holders = session.execute(
            select(Person.name, Person.external_id)
            .where(Person.job_family_id == family_id, Person.title_level == top)
            .order_by(Person.name)
        ).all()
    assert len(holders) == 1
    [(name, external_id)] = holders

    def remove(level_id: int) -> str:
        with Session(engine) as session, session.begin():
            return framework_edit.remove_level(session, admin, level_id).summary()

    with pytest.raises(EditRefused) as refused:
        remove(levels[top])
    assert str(refused.value) == (
        f"Level {top} (Principal Data Analyst) of DATA cannot be removed: it is the title level "
        f"of {name} ({external_id}). Nothing was changed."
    )
    with pytest.raises(EditRefused, match=f"Only the top level of DATA, level {top}, can be"):
        remove(levels[1])

    with Session(engine) as session, session.begin():
        framework_edit.add_level(session, admin, family_id, title="Fellow", requirements={})
    new_id = family(engine, "DATA")[1][top + 1]
    with Session(engine) as session, session.begin():
        goal = LearningGoal(person_id=admin.person_id, job_family_id=family_id,
                            target_rank=top + 1, created_by=admin.email)  # fmt: skip
        session.add(goal)
        session.flush()
        goal_id = goal.id
    aimed = rf"^Level {top + 1} \(Fellow\) of DATA cannot be removed: {admin.name} \(.+\) aims"
    with pytest.raises(EditRefused, match=aimed + r" for it in an active goal\. Nothing was"):
        remove(new_id)
    assert family(engine, "DATA")[1].keys() == {*levels, top + 1}

    with Session(engine) as session, session.begin():
        session.get(LearningGoal, goal_id).status = GoalStatus.REMOVED
    said = remove(new_id)
    assert said.startswith("Framework pathwise-demo updated.")
    assert said.endswith(f"Levels: 1 removed (DATA level {top + 1}).")
    assert family(engine, "DATA")[1] == levels
    [entry] = audit_entries(engine, "framework.level.remove")
    assert (entry.target_type, entry.target_id) == ("pathway_level", str(new_id))
    assert entry.details["before"]["title"] == "Fellow"
    assert entry.details["after"] is None


# A competency's own mastery settings -------------------------------------------------------


def mastery_rows(engine: Engine, competency: int | None = None) -> dict[tuple[int, int], tuple]:
    with Session(engine) as session:
        statement = select(MasteryScore)
        if competency is not None:
            statement = statement.where(MasteryScore.competency_id == competency)
        return {
            (row.person_id, row.competency_id): (row.method, row.mastery, row.support, row.as_of)
            for row in session.scalars(statement)
        }


def test_a_competency_setting_recomputes_that_competency_alone(demo) -> None:
    engine, admin, _ = demo
    own = competency_id(engine, "DA-SQL")
    others_before = {pair: row for pair, row in mastery_rows(engine).items() if pair[1] != own}
    assert {row[0] for row in mastery_rows(engine, own).values()} == {"evidence"}
    steps: list[float] = []

    saved = framework_edit.save_competency_settings(
        engine, admin, own, {"method": "highest", "trust": {"self_report": 0.0}},
        lambda done, _text: steps.append(done),
    )  # fmt: skip

    assert saved.changes.competencies_updated == ("DA-SQL (mastery settings)",)
    assert saved.pairs == len(mastery_rows(engine, own)) > 0
    assert saved.people >= saved.pairs
    assert steps[-1] == 1.0
    with Session(engine) as session:
        stored = session.get(Competency, own).mastery_settings
    assert stored == {"method": "highest", "trust": {"self_report": 0.0}}
    refreshed = mastery_rows(engine, own)
    assert {row[0] for row in refreshed.values()} == {"highest"}
    assert {pair: row for pair, row in mastery_rows(engine).items() if pair[1] != own} == (
        others_before
    )
    [as_of] = {row[3] for row in refreshed.values()}
    recompute_all(engine, as_of=as_of)
    assert mastery_rows(engine, own) == {pair: (*row[:3], as_of) for pair, row in refreshed.items()}
    [entry] = audit_entries(engine, "framework.competency.settings.update")
    assert (entry.actor, entry.target_id) == (admin.email, str(own))
    assert entry.details["before"] == {}
    assert entry.details["after"] == stored

    again = framework_edit.save_competency_settings(engine, admin, own, dict(stored))
    assert not again.changes.changed
    assert again.people == 0
    assert len(audit_entries(engine, "framework.competency.settings.update")) == 1

    framework_edit.save_competency_settings(engine, admin, own, {})
    assert {row[0] for row in mastery_rows(engine, own).values()} == {"evidence"}


def attained_levels(engine: Engine) -> dict[str, int | None]:
    """Everyone's attained level as the pages read it: from the materialised mastery."""
    with Session(engine) as session:
        people = _people(session, select(Person.id))
        return {
            progress.person: progress.attained_level
            for progress in _evaluate(session, people, None, history=False)
        }


def stored_mastery(engine: Engine, admin: Viewer, competency: int) -> dict[str, tuple[float, bool]]:
    """Each person's mastery of the competency and whether they are proficient in it, by
    external id, as the pages read it: from the materialised mastery."""
    with Session(engine) as session:
        people = dict(session.execute(select(Person.id, Person.external_id)).all())
        mastery = people_mastery(session, admin, list(people), competency_id=competency)
    return {
        people[person]: (value, bool(met))
        for person, value, met in mastery[["person_id", "mastery", "met_proficient"]].itertuples(
            index=False
        )
    }


def people_on_a_pathway(engine: Engine) -> set[str]:
    """Whom a preview assesses: active people whose job family has levels."""
    with Session(engine) as session:
        return set(
            session.scalars(
                select(Person.external_id).where(
                    Person.active.is_(True),
                    Person.job_family_id.in_(select(PathwayLevel.job_family_id)),
                )
            )
        )


def result(mastery: float, proficient: bool) -> tuple[float, bool] | None:
    """A preview row's side as `stored_mastery` gives it: None for no result."""
    return None if mastery != mastery else (mastery, bool(proficient))


def changed_result(before: tuple[float, bool] | None, after: tuple[float, bool] | None) -> bool:
    """Whether mastery moved by 0.01 or more (or to or from no result), or proficiency changed."""
    if before is None or after is None:
        return before != after
    return abs(before[0] - after[0]) >= 0.01 - 1e-9 or before[1] != after[1]


def test_a_competency_settings_preview_foretells_what_saving_does(demo) -> None:
    engine, admin, _ = demo
    own = competency_id(engine, "DA-SQL")
    faster = {"half_life_days": 30.0}
    mastery_before = mastery_rows(engine)
    levels_before = attained_levels(engine)
    assessed = people_on_a_pathway(engine)
    audited = audit_count(engine)

    with Session(engine) as session:
        unchanged = framework_edit.preview_competency_settings(session, admin, own, {})
        preview = framework_edit.preview_competency_settings(session, admin, own, faster)

    assert (unchanged.changed, unchanged.mastery_changed, unchanged.proficiency_changed) == (
        0, 0, 0,
    )  # fmt: skip
    assert unchanged.competency_changes.empty
    assert preview.people == unchanged.people == len(assessed)
    assert (preview.code, preview.overrides) == ("DA-SQL", faster)
    assert preview.changed > 0
    assert preview.changed == len(preview.changes) == preview.raised + preview.lowered
    assert preview.mastery_changed > 0
    assert preview.proficiency_changed > 0
    listed = preview.competency_changes
    assert len(listed) <= preview.mastery_changed + preview.proficiency_changed
    assert (listed["proficient_before"] != listed["proficient_after"]).sum() == (
        preview.proficiency_changed
    )
    assert mastery_rows(engine) == mastery_before
    assert audit_count(engine) == audited
    with Session(engine) as session:
        assert session.get(Competency, own).mastery_settings == {}
    for row in preview.changes.itertuples():
        assert levels_before[row.person] == row.before
    now = stored_mastery(engine, admin, own)
    for row in listed.itertuples():
        assert not changed_result(now.get(row.person), result(row.mastery_before,
                                                              row.proficient_before))  # fmt: skip

    framework_edit.save_competency_settings(engine, admin, own, faster, preview=preview)

    levels_after = attained_levels(engine)
    moved = {person for person in levels_before if levels_before[person] != levels_after[person]}
    assert moved == set(preview.changes["person"])
    for row in preview.changes.itertuples():
        assert levels_after[row.person] == row.after
    after = stored_mastery(engine, admin, own)
    changed = {
        person
        for person in set(now) | set(after)
        if person in assessed and changed_result(now.get(person), after.get(person))
    }
    assert changed == set(listed["person"])
    for row in listed.itertuples():
        assert not changed_result(after.get(row.person), result(row.mastery_after,
                                                                row.proficient_after))  # fmt: skip
    [entry] = audit_entries(engine, "framework.competency.settings.update")
    assert entry.details["after"] == faster
    assert entry.details["people_changing_level"] == preview.changed
    assert entry.details["people_assessed"] == preview.people
    assert entry.details["people_changing_mastery"] == preview.mastery_changed
    assert entry.details["people_changing_proficiency"] == preview.proficiency_changed


def test_a_save_records_only_the_counts_of_a_preview_of_what_it_saves(demo) -> None:
    engine, admin, _ = demo
    own = competency_id(engine, "DA-SQL")
    with Session(engine) as session:
        preview = framework_edit.preview_competency_settings(
            session, admin, own, {"half_life_days": 30.0}
        )

    framework_edit.save_competency_settings(
        engine, admin, own, {"half_life_days": 60.0}, preview=preview
    )

    [entry] = audit_entries(engine, "framework.competency.settings.update")
    assert entry.details["after"] == {"half_life_days": 60.0}
    assert "people_changing_level" not in entry.details


def test_overrides_from_the_form_keep_only_the_values_given() -> None:
    assert overrides_from_form(
        "weighted_average", 70, None, 0.8, {"self_report": 0.1, "assessment": None}
    ) == {"method": "weighted_average:70", "minimum_support": 0.8, "trust": {"self_report": 0.1}}
    assert overrides_from_form("decaying_average", None, 90, None, {}) == {
        "method": "decaying_average:65",
        "half_life_days": 90.0,
    }
    assert overrides_from_form(None, 3, None, None, {"course": None}) == {}


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"method": "n_mastery", "parameter": 0.5}, "Method: n_mastery needs a whole number"),
        ({"half_life_days": 0}, "Half-life: Input should be greater than 0."),
        ({"minimum_support": -1}, "Minimum support: Input should be greater than or equal to 0."),
        ({"trust": {"course": -1}}, "Trust weight: trust weights cannot be negative."),
    ],
)
def test_overrides_that_cannot_work_are_refused_with_the_reason(form: dict, message: str) -> None:
    fields = {"method": None, "parameter": None, "half_life_days": None,
              "minimum_support": None, "trust": {}, **form}  # fmt: skip
    with pytest.raises(EditRefused, match=message.replace(".", r"\.")):
        overrides_from_form(**fields)


# Who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["learner", "manager"])
def test_only_ld_admins_may_add_or_remove(demo, role: str) -> None:
    engine, _, framework_id = demo
    with Session(engine) as session:
        viewer = demo_personas(session)[role]
    family_id, levels = family(engine, "DATA")
    audited = audit_count(engine)
    sql = competency_id(engine, "DA-SQL")
    calls = [
        lambda session: framework_edit.add_competency(
            session, viewer, framework_id, code="DA-ETH", name="Data ethics", category="values"
        ),
        lambda session: framework_edit.remove_competency(session, viewer, sql),
        lambda session: framework_edit.add_level(
            session, viewer, family_id, title="Fellow", requirements={}
        ),
        lambda session: framework_edit.remove_level(session, viewer, levels[max(levels)]),
    ]
    for call in calls:
        with pytest.raises(NotPermitted), Session(engine) as session, session.begin():
            call(session)
    with pytest.raises(NotPermitted):
        framework_edit.save_competency_settings(engine, viewer, sql, {"method": "latest"})
    with pytest.raises(NotPermitted), Session(engine) as session:
        framework_edit.preview_competency_settings(session, viewer, sql, {"method": "latest"})
    assert competency_id(engine, "DA-ETH") is None
    assert family(engine, "DATA")[1] == levels
    assert audit_count(engine) == audited
    with Session(engine) as session:
        assert session.get(Competency, sql).mastery_settings == {}
