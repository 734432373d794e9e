"""The Framework page and `loaders.framework_edit` behind it: editing competencies, levels
and requirements, previewing a mastery settings change and saving it (which recomputes mastery
and is audited), and who may do any of it.

The data functions run on both backends through the `engine` fixture; the page runs through
AppTest on a copy of one small demo database per test.
"""

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from data_model.access import NotPermitted, Viewer
from data_model.database import open_database
from data_model.mastery_settings import MasterySettings
from data_model.models import (
    AuditEntry,
    Competency,
    Framework,
    JobFamily,
    LevelDescriptor,
    LevelRequirement,
    MasteryScore,
    PathwayLevel,
    Person,
)
from data_model.queries import demo_personas
from data_model.queries.progress import _evaluate, _people
from loaders import framework_edit
from loaders.demo import seed_demo_organisation
from loaders.framework_edit import EditRefused, settings_from_form
from tests.conftest import PROJECT_ROOT

APP = str(PROJECT_ROOT / "app.py")
FRAMEWORK_PAGE = "app_pages/framework.py"
DEMO = {"people": 40, "records_per_person": 20}
"""Small, yet with people on every side of the levels a settings change moves."""


# Data functions, on both backends ------------------------------------------------------------


@pytest.fixture
def demo(engine: Engine) -> tuple[Engine, dict[str, Viewer], int]:
    seed_demo_organisation(engine, **DEMO)
    with Session(engine) as session:
        framework_id = session.scalar(select(Framework.id))
        return engine, demo_personas(session), framework_id


def first_competency(engine: Engine) -> Competency:
    with Session(engine) as session:
        return session.scalars(select(Competency).order_by(Competency.code)).first()


def audit_entries(engine: Engine, action: str) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def audit_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(AuditEntry))


def test_a_competency_edit_updates_it_in_place_and_is_audited(demo) -> None:
    engine, personas, _ = demo
    admin = personas["ld_admin"]
    before = first_competency(engine)
    with Session(engine) as session, session.begin():
        changes = framework_edit.update_competency(
            session, admin, before.id, name="  Data storytelling  ", category="professional",
            description="Telling what the data says.", descriptors={1: "Reads a chart.", 2: " "},
        )  # fmt: skip

    assert changes.competencies_updated == (
        f"{before.code} (name, category, description, descriptors for levels 1, 2, 3, 4, 5)",
    )
    with Session(engine) as session:
        after = session.get(Competency, before.id)
        assert (after.code, after.name, after.category) == (
            before.code,
            "Data storytelling",
            "professional",
        )
        levels = session.execute(
            select(LevelDescriptor.level, LevelDescriptor.description).where(
                LevelDescriptor.competency_id == before.id
            )
        ).all()
    assert levels == [(1, "Reads a chart.")]
    [entry] = audit_entries(engine, "framework.competency.update")
    assert entry.actor == admin.email
    assert (entry.target_type, entry.target_id) == ("competency", str(before.id))
    assert entry.details["before"]["name"] == before.name
    assert entry.details["after"]["name"] == "Data storytelling"
    assert entry.details["after"]["levels"] == {"1": "Reads a chart."}

    with Session(engine) as session, session.begin():
        again = framework_edit.update_competency(
            session, admin, before.id, name="Data storytelling", category="professional",
            description="Telling what the data says.", descriptors={1: "Reads a chart."},
        )  # fmt: skip
    assert not again.changed
    assert len(audit_entries(engine, "framework.competency.update")) == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "   "}, "The name cannot be empty."),
        ({"name": "x" * 300}, "The name is 300 characters long; the most is 256."),
        ({"category": "wizardry"}, "The category must be one of technical, professional, values."),
        (
            {"descriptors": {9: "Off the scale"}},
            "Descriptors are for levels on the scale, from 0 to 5; 9 is not.",
        ),
    ],
)
def test_a_bad_competency_edit_is_refused_and_writes_nothing(
    demo, fields: dict, message: str
) -> None:
    engine, personas, _ = demo
    before = first_competency(engine)
    edit = {"name": "Fine", "category": "technical", "description": "", "descriptors": {}}
    with (
        pytest.raises(EditRefused, match=message.replace(".", r"\.")),
        Session(engine) as session,
        session.begin(),
    ):
        framework_edit.update_competency(
            session, personas["ld_admin"], before.id, **{**edit, **fields}
        )
    assert first_competency(engine).name == before.name
    assert not audit_entries(engine, "framework.competency.update")


def test_requirements_are_added_changed_and_removed(demo) -> None:
    engine, personas, _ = demo
    admin = personas["ld_admin"]
    with Session(engine) as session:
        level = session.scalars(select(PathwayLevel).order_by(PathwayLevel.id)).first()
        asked = {requirement.competency_id for requirement in level.requirements}
        spare = session.scalar(select(Competency.id).where(Competency.id.not_in(asked)).limit(1))
        level_id = level.id

    def requirement() -> tuple | None:
        with Session(engine) as session:
            row = session.execute(
                select(LevelRequirement.required_level, LevelRequirement.weight,
                       LevelRequirement.critical)
                .where(LevelRequirement.level_id == level_id,
                       LevelRequirement.competency_id == spare)
            ).first()  # fmt: skip
            return None if row is None else tuple(row)

    def update(**fields) -> str:
        with Session(engine) as session, session.begin():
            changes = framework_edit.update_requirement(session, admin, level_id, spare, **fields)
        return changes.summary()

    assert "Requirements: 1 added" in update(required=2.5)
    assert requirement() == (2.5, 1.0, False)
    assert "from 2.5 to 3 (weight 2, critical)" in update(required=3, weight=2, critical=True)
    assert requirement() == (3.0, 2.0, True)
    with pytest.raises(EditRefused, match="must lie on the scale, from 0 to 5; 7 does not"):
        update(required=7)
    with pytest.raises(EditRefused, match="The weight must be above 0; 0 is not"):
        update(required=3, weight=0)
    assert requirement() == (3.0, 2.0, True)
    assert "Requirements: 1 removed" in update(required=None)
    assert requirement() is None
    entries = audit_entries(engine, "framework.requirement.update")
    assert [entry.details["after"]["requirement"] for entry in entries] == [
        {"level": 2.5, "weight": 1.0, "critical": False},
        {"level": 3.0, "weight": 2.0, "critical": True},
        None,
    ]


def attained_levels(engine: Engine, admin: Viewer) -> dict[str, int | None]:
    """Everyone's attained level as the pages read it: from the materialised mastery."""
    with Session(engine) as session:
        people = _people(session, select(Person.id))
        return {
            progress.person: progress.attained_level
            for progress in _evaluate(session, people, None, history=False)
        }


def test_the_preview_foretells_what_saving_does_and_saving_is_audited(demo) -> None:
    engine, personas, framework_id = demo
    admin = personas["ld_admin"]
    with Session(engine) as session:
        current = framework_edit.framework_outline(session, admin, framework_id).settings
        unchanged = framework_edit.preview_settings_change(session, admin, framework_id, current)
        highest = settings_from_form("highest", None, 365, 0.5, {})
        preview = framework_edit.preview_settings_change(session, admin, framework_id, highest)
        mastery_before = dict(
            session.execute(
                select(MasteryScore.method, func.count()).group_by(MasteryScore.method)
            ).all()
        )
    assert unchanged.changed == 0
    assert unchanged.pairs_changed == 0
    assert unchanged.people > 0
    assert preview.changed > 0
    assert preview.changed == len(preview.changes) == preview.raised + preview.lowered
    assert preview.pairs_changed > 0
    assert set(mastery_before) == {"evidence"}
    levels_before = attained_levels(engine, admin)
    for row in preview.changes.itertuples():
        assert levels_before[row.person] == row.before

    steps: list[float] = []
    saved = framework_edit.save_settings(
        engine, admin, framework_id, highest, lambda done, _text: steps.append(done), preview
    )

    assert saved.changed
    assert saved.rollup is not None
    assert steps[-1] == 1.0
    levels_after = attained_levels(engine, admin)
    moved = {person for person in levels_before if levels_before[person] != levels_after[person]}
    assert moved == set(preview.changes["person"])
    for row in preview.changes.itertuples():
        assert levels_after[row.person] == row.after
    with Session(engine) as session:
        methods = set(session.scalars(select(MasteryScore.method).distinct()))
        stored = session.get(Framework, framework_id).mastery_settings
    assert methods == {"highest"}
    assert MasterySettings.merged(stored) == highest
    [entry] = audit_entries(engine, "framework.settings.update")
    assert entry.actor == admin.email
    assert entry.details["after"]["method"] == "highest"
    assert entry.details["before"].get("method", "evidence") == "evidence"
    assert entry.details["people_changing_level"] == preview.changed

    again = framework_edit.save_settings(engine, admin, framework_id, highest)
    assert not again.changed
    assert again.rollup is None
    assert len(audit_entries(engine, "framework.settings.update")) == 1


def test_settings_differences_name_each_changed_setting() -> None:
    before = MasterySettings()
    after = settings_from_form(
        "weighted_average", 70, 180, 0.5, {"self_report": 0.1, "assessment": 1.0}
    )
    assert framework_edit.settings_differences(before, after) == [
        "method evidence → weighted_average:70",
        "half-life 365 → 180 days",
        "trust in self report 0.3 → 0.1",
    ]
    assert framework_edit.settings_differences(before, before) == []


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"method": "n_mastery", "parameter": 2.5}, "n_mastery needs a whole number"),
        ({"half_life_days": 0}, "Half-life: Input should be greater than 0."),
        ({"minimum_support": -1}, "Minimum support: Input should be greater than or equal to 0."),
        ({"trust": {"self_report": -0.1}}, "Trust weight: trust weights cannot be negative."),
    ],
)
def test_settings_that_cannot_work_are_refused_with_the_reason(form: dict, message: str) -> None:
    fields = {"method": "evidence", "parameter": None, "half_life_days": 365,
              "minimum_support": 0.5, "trust": {}, **form}  # fmt: skip
    with pytest.raises(EditRefused, match=message.replace(".", r"\.")):
        settings_from_form(**fields)


@pytest.mark.parametrize("role", ["learner", "manager"])
def test_only_ld_admins_may_read_or_edit_the_framework(demo, role: str) -> None:
    engine, personas, framework_id = demo
    viewer = personas[role]
    competency = first_competency(engine)
    audited = audit_count(engine)
    with Session(engine) as session:
        level_id = session.scalar(select(PathwayLevel.id).limit(1))
        calls = [
            lambda: framework_edit.frameworks(session, viewer),
            lambda: framework_edit.framework_outline(session, viewer, framework_id),
            lambda: framework_edit.update_competency(
                session, viewer, competency.id, name="Hacked", category="technical",
                description="", descriptors={},
            ),
            lambda: framework_edit.update_level(
                session, viewer, level_id, title="Hacked", description=""
            ),
            lambda: framework_edit.update_requirement(
                session, viewer, level_id, competency.id, required=1
            ),
            lambda: framework_edit.preview_settings_change(
                session, viewer, framework_id, MasterySettings()
            ),
        ]  # fmt: skip
        for call in calls:
            with pytest.raises(NotPermitted):
                call()
    with pytest.raises(NotPermitted):
        framework_edit.save_settings(engine, viewer, framework_id, MasterySettings(method="latest"))
    assert first_competency(engine).name == competency.name
    assert audit_count(engine) == audited


# The page ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("framework-page") / "template.db"
    engine = open_database(f"sqlite:///{path}")
    seed_demo_organisation(engine, **DEMO)
    engine.dispose()
    return path


@pytest.fixture
def demo_url(demo_template: Path, tmp_path: Path) -> str:
    copy = tmp_path / "pathwise.db"
    shutil.copyfile(demo_template, copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def demo_engine(demo_url: str) -> Iterator[Engine]:
    engine = open_database(demo_url)
    yield engine
    engine.dispose()


def rerun(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_app(monkeypatch: pytest.MonkeyPatch, url: str, role: str) -> AppTest:
    monkeypatch.chdir(PROJECT_ROOT)
    monkeypatch.setenv("PATHWISE_DB_URL", url)
    at = rerun(AppTest.from_file(APP, default_timeout=120))
    at.selectbox(key="view_as").select(role)
    return rerun(at)


def open_framework_page(monkeypatch: pytest.MonkeyPatch, url: str) -> AppTest:
    at = open_app(monkeypatch, url, "ld_admin")
    at.switch_page(FRAMEWORK_PAGE)
    return rerun(at)


def plain(markdown: str) -> str:
    """Text as the browser shows it: without the escapes that keep names from being markup."""
    return re.sub(r"\\(.)", r"\1", markdown)


def by_label(widgets, label: str):
    [found] = [widget for widget in widgets if widget.label == label]
    return found


def test_the_page_shows_the_framework_in_three_tabs(
    monkeypatch: pytest.MonkeyPatch, demo_url: str, demo_engine: Engine
) -> None:
    at = open_framework_page(monkeypatch, demo_url)

    assert [title.value for title in at.title] == ["Framework"]
    assert [tab.label for tab in at.tabs] == [
        "Competencies",
        "Job families and levels",
        "Mastery settings",
    ]
    with Session(demo_engine) as session:
        codes = set(session.scalars(select(Competency.code)))
    assert len(codes) == 21
    assert set(at.dataframe[0].value["code"]) == codes
    assert by_label(at.selectbox, "Method").value == "evidence"
    assert by_label(at.number_input, "Half-life in days").value == 365.0
    assert not at.error


@pytest.mark.parametrize("role", ["learner", "manager"])
def test_learners_and_managers_cannot_reach_the_page(
    monkeypatch: pytest.MonkeyPatch, demo_url: str, role: str
) -> None:
    at = open_app(monkeypatch, demo_url, role)

    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(FRAMEWORK_PAGE)


def test_editing_a_competency_saves_it_and_keeps_bad_input(
    monkeypatch: pytest.MonkeyPatch, demo_url: str, demo_engine: Engine
) -> None:
    at = open_framework_page(monkeypatch, demo_url)
    competency_id = at.selectbox(key="framework_competency").value
    with Session(demo_engine) as session:
        original = session.get(Competency, competency_id).name

    by_label(at.text_input, "Name").input("   ")
    by_label(at.text_area, "Description").input("Typed with care.")
    by_label(at.button, "Save competency").click()
    rerun(at)

    assert [plain(error.value) for error in at.error] == ["The name cannot be empty."]
    assert by_label(at.text_area, "Description").value == "Typed with care."
    with Session(demo_engine) as session:
        assert session.get(Competency, competency_id).name == original

    by_label(at.text_input, "Name").input("Storytelling with data")
    by_label(at.button, "Save competency").click()
    rerun(at)

    [done] = [plain(success.value) for success in at.success]
    assert done.startswith("Framework pathwise-demo updated. Competencies: 1 updated")
    assert "(name, description)" in done
    with Session(demo_engine) as session:
        saved = session.get(Competency, competency_id)
        assert (saved.name, saved.description) == ("Storytelling with data", "Typed with care.")
    table = at.dataframe[0].value
    assert "Storytelling with data" in set(table["name"])
    [entry] = audit_entries(demo_engine, "framework.competency.update")
    assert entry.details["after"]["name"] == "Storytelling with data"


def test_editing_a_requirement_changes_what_the_level_asks(
    monkeypatch: pytest.MonkeyPatch, demo_url: str, demo_engine: Engine
) -> None:
    at = open_framework_page(monkeypatch, demo_url)
    level_id = at.selectbox(key="framework_level").value
    with Session(demo_engine) as session:
        level = session.get(PathwayLevel, level_id)
        competency_id = min(requirement.competency_id for requirement in level.requirements)
    at.selectbox(key=f"framework_requirement_competency_{level_id}").set_value(competency_id)
    rerun(at)

    by_label(at.number_input, "Required level").set_value(4.5)
    by_label(at.checkbox, "Critical").check()
    by_label(at.button, "Save requirement").click()
    rerun(at)

    [done] = [plain(success.value) for success in at.success]
    assert "to 4.5 (critical)" in done
    with Session(demo_engine) as session:
        requirement = session.scalar(
            select(LevelRequirement).where(
                LevelRequirement.level_id == level_id,
                LevelRequirement.competency_id == competency_id,
            )
        )
        assert (requirement.required_level, requirement.critical) == (4.5, True)
    assert len(audit_entries(demo_engine, "framework.requirement.update")) == 1


def test_previewing_then_saving_settings_recomputes_mastery(
    monkeypatch: pytest.MonkeyPatch, demo_url: str, demo_engine: Engine
) -> None:
    with Session(demo_engine) as session:
        admin = demo_personas(session)["ld_admin"]
        framework_id = session.scalar(select(Framework.id))
        expected = framework_edit.preview_settings_change(
            session, admin, framework_id, settings_from_form("highest", None, 365, 0.5, {})
        )
    assert expected.changed > 0
    at = open_framework_page(monkeypatch, demo_url)

    by_label(at.selectbox, "Method").set_value("highest")
    by_label(at.button, "Preview the change").click()
    rerun(at)

    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics["Level would change"] == str(expected.changed)
    [said] = [plain(text.value) for text in at.markdown if "attained level" in text.value]
    assert said == f"Against the current settings (method evidence → highest): {expected.summary()}"
    assert metrics["Would move up"] == str(expected.raised)
    assert at.dataframe[-1].value["person"].tolist() == expected.changes["person"].tolist()
    assert not audit_entries(demo_engine, "framework.settings.update")
    with Session(demo_engine) as session:
        assert set(session.scalars(select(MasteryScore.method).distinct())) == {"evidence"}

    at.button(key="framework_settings_save").click()
    rerun(at)

    [done] = [plain(success.value) for success in at.success]
    assert done.startswith("Settings saved and mastery recomputed for 40 people")
    with Session(demo_engine) as session:
        assert set(session.scalars(select(MasteryScore.method).distinct())) == {"highest"}
    [entry] = audit_entries(demo_engine, "framework.settings.update")
    assert entry.details["people_changing_level"] == expected.changed
    assert by_label(at.selectbox, "Method").value == "highest"
    assert not [metric for metric in at.metric if metric.label == "Level would change"]


def test_a_bad_setting_is_refused_and_nothing_is_previewed(
    monkeypatch: pytest.MonkeyPatch, demo_url: str
) -> None:
    at = open_framework_page(monkeypatch, demo_url)

    by_label(at.selectbox, "Method").set_value("n_mastery")
    by_label(at.number_input, "Method parameter").set_value(2.5)
    by_label(at.button, "Preview the change").click()
    rerun(at)

    [error] = [plain(error.value) for error in at.error]
    assert error == "Method: n_mastery needs a whole number of at least 1, as n_mastery:3."
    assert by_label(at.number_input, "Method parameter").value == 2.5
    assert not [metric for metric in at.metric if metric.label == "Level would change"]


def test_adding_a_competency_says_what_is_wrong_then_adds_it(
    monkeypatch: pytest.MonkeyPatch, demo_url: str, demo_engine: Engine
) -> None:
    at = open_framework_page(monkeypatch, demo_url)

    by_label(at.text_input, "Code").input("da-sql")
    by_label(at.text_input, "Competency name").input("Data ethics")
    at.text_area(key="framework_new_descriptor_0_1").input("Knows the rules.")
    by_label(at.button, "Add competency").click()
    rerun(at)

    assert [plain(error.value) for error in at.error] == [
        "The code da-sql is already used by DA-SQL (SQL and data modelling). Codes must be "
        "unique, whatever their case: choose another."
    ]
    assert by_label(at.text_input, "Competency name").value == "Data ethics"

    by_label(at.text_input, "Code").input("DA-ETH")
    by_label(at.selectbox, "Competency category").set_value("values")
    by_label(at.button, "Add competency").click()
    rerun(at)

    [done] = [plain(success.value) for success in at.success]
    assert done.startswith("Framework pathwise-demo updated. Competencies: 1 added (DA-ETH)")
    with Session(demo_engine) as session:
        added = session.scalar(select(Competency).where(Competency.code == "DA-ETH"))
        assert (added.name, added.category) == ("Data ethics", "values")
        assert [(item.level, item.description) for item in added.descriptors] == [
            (1, "Knows the rules.")
        ]
    assert at.selectbox(key="framework_competency").value == added.id
    assert by_label(at.text_input, "Name").value == "Data ethics"
    assert by_label(at.text_input, "Code").value == ""
    assert "DA-ETH" in set(at.dataframe[0].value["code"])
    [entry] = audit_entries(demo_engine, "framework.competency.add")
    assert entry.target_id == str(added.id)


def test_removing_a_competency_refuses_one_with_records_and_removes_a_new_one(
    monkeypatch: pytest.MonkeyPatch, demo_url: str, demo_engine: Engine
) -> None:
    with Session(demo_engine) as session, session.begin():
        admin = demo_personas(session)["ld_admin"]
        framework_id = session.scalar(select(Framework.id))
        framework_edit.add_competency(
            session, admin, framework_id, code="DA-ETH", name="Data ethics", category="values"
        )
    with Session(demo_engine) as session:
        held = session.scalar(select(Competency.id).where(Competency.code == "DA-SQL"))
        new = session.scalar(select(Competency.id).where(Competency.code == "DA-ETH"))
    at = open_framework_page(monkeypatch, demo_url)
    at.selectbox(key="framework_competency").set_value(held)
    rerun(at)

    at.checkbox(key=f"framework_remove_competency_sure_{held}").check()
    by_label(at.button, "Remove competency").click()
    rerun(at)

    [refused] = [plain(error.value) for error in at.error]
    assert refused.startswith("DA-SQL cannot be removed: ")
    assert "learning records hold it" in refused
    assert refused.endswith("Nothing was changed.")
    with Session(demo_engine) as session:
        assert session.get(Competency, held) is not None

    at.selectbox(key="framework_competency").set_value(new)
    rerun(at)
    by_label(at.button, "Remove competency").click()
    rerun(at)
    assert [plain(error.value) for error in at.error] == ["Tick the box to confirm the removal."]

    at.checkbox(key=f"framework_remove_competency_sure_{new}").check()
    by_label(at.button, "Remove competency").click()
    rerun(at)

    [done] = [plain(success.value) for success in at.success]
    assert done == (
        "Framework pathwise-demo updated. Competency DA-ETH removed; no level asked for it."
    )
    with Session(demo_engine) as session:
        assert session.get(Competency, new) is None
    assert "DA-ETH" not in set(at.dataframe[0].value["code"])
    assert at.selectbox(key="framework_competency").value != new
    assert len(audit_entries(demo_engine, "framework.competency.remove")) == 1


def test_a_competency_own_settings_are_previewed_then_saved_and_its_mastery_recomputed(
    monkeypatch: pytest.MonkeyPatch, demo_url: str, demo_engine: Engine
) -> None:
    wanted = {"method": "highest", "half_life_days": 30.0, "trust": {"self_report": 0.0}}
    with Session(demo_engine) as session:
        own = session.scalar(select(Competency.id).where(Competency.code == "DA-SQL"))
        admin = demo_personas(session)["ld_admin"]
        expected = framework_edit.preview_competency_settings(session, admin, own, wanted)
    assert expected.changed > 0
    assert expected.mastery_changed > 0
    at = open_framework_page(monkeypatch, demo_url)
    at.selectbox(key="framework_competency").set_value(own)
    rerun(at)

    by_label(at.selectbox, "Method for DA-SQL").set_value("highest")
    by_label(at.number_input, "Half-life in days for DA-SQL").set_value(0.0)
    by_label(at.button, "Preview its new settings").click()
    rerun(at)

    assert [plain(error.value) for error in at.error] == [
        "Half-life: Input should be greater than 0."
    ]
    assert not [metric for metric in at.metric if metric.label == "Level would change"]

    by_label(at.number_input, "Half-life in days for DA-SQL").set_value(30.0)
    at.number_input(key=f"framework_competency_settings_{own}_trust_self_report").set_value(0.0)
    by_label(at.button, "Preview its new settings").click()
    rerun(at)

    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics["Level would change"] == str(expected.changed)
    assert metrics["Would move down"] == str(expected.lowered)
    assert metrics["Mastery would move"] == str(expected.mastery_changed)
    assert metrics["Proficiency would change"] == str(expected.proficiency_changed)
    [said] = [plain(text.value) for text in at.markdown if "attained level" in text.value]
    assert said == (
        "Against its current settings (method evidence → highest; half-life 365 → 30 days; "
        f"trust in self report 0.3 → 0): {expected.summary()}"
    )
    [levels] = [table.value for table in at.dataframe if "before_title" in table.value]
    [mastery] = [table.value for table in at.dataframe if "mastery_before" in table.value]
    assert levels["person"].tolist() == expected.changes["person"].tolist()
    assert mastery["person"].tolist() == expected.competency_changes["person"].tolist()
    assert not audit_entries(demo_engine, "framework.competency.settings.update")
    with Session(demo_engine) as session:
        assert session.get(Competency, own).mastery_settings == {}
        assert set(session.scalars(select(MasteryScore.method).distinct())) == {"evidence"}

    at.button(key=f"framework_competency_settings_save_{own}").click()
    rerun(at)

    [done] = [plain(success.value) for success in at.success]
    assert re.fullmatch(
        r"Mastery settings of DA-SQL saved; its mastery was recomputed for \d+ people\.", done
    )
    with Session(demo_engine) as session:
        assert session.get(Competency, own).mastery_settings == wanted
        methods = dict(
            session.execute(
                select(MasteryScore.competency_id == own, MasteryScore.method).distinct()
            ).all()
        )
    assert methods == {True: "highest", False: "evidence"}
    assert by_label(at.selectbox, "Method for DA-SQL").value == "highest"
    assert by_label(at.number_input, "Minimum support for DA-SQL").value is None
    [entry] = audit_entries(demo_engine, "framework.competency.settings.update")
    assert entry.details["after"] == wanted
    assert entry.details["people_changing_level"] == expected.changed
    assert entry.details["people_changing_mastery"] == expected.mastery_changed
    assert not [metric for metric in at.metric if metric.label == "Level would change"]
    assert any("DA-SQL" in plain(caption.value) for caption in at.caption
               if "override some of these settings" in caption.value)  # fmt: skip


def test_a_level_is_added_on_top_and_only_a_top_level_nobody_holds_is_removed(
    monkeypatch: pytest.MonkeyPatch, demo_url: str, demo_engine: Engine
) -> None:
    with Session(demo_engine) as session:
        family = session.scalar(select(JobFamily).where(JobFamily.code == "DATA"))
        top = max(family.levels, key=lambda level: level.rank)
        asked = {r.competency_id: r.required_level for r in top.requirements}
        [holder] = session.scalars(
            select(Person).where(Person.job_family_id == family.id, Person.title_level == top.rank)
        ).all()
        family_id, top_id, top_rank, holder_words = (
            family.id, top.id, top.rank, f"{holder.name} ({holder.external_id})"
        )  # fmt: skip
    at = open_framework_page(monkeypatch, demo_url)
    assert at.selectbox(key="framework_family").value == "DATA"

    at.checkbox(key=f"framework_remove_level_sure_{top_id}").check()
    by_label(at.button, "Remove level").click()
    rerun(at)

    assert [plain(error.value) for error in at.error] == [
        f"Level {top_rank} (Principal Data Analyst) of DATA cannot be removed: it is the title "
        f"level of {holder_words}. Nothing was changed."
    ]

    raised = min(asked)
    new_level = f"framework_new_level_{family_id}_0_"
    assert at.number_input(key=f"{new_level}{raised}").value == asked[raised]
    assert len([box for box in at.number_input if (box.key or "").startswith(new_level)]) == 21
    at.number_input(key=f"{new_level}{raised}").set_value(5.0)
    by_label(at.button, "Add level").click()
    rerun(at)
    assert [plain(error.value) for error in at.error] == ["The title cannot be empty."]

    by_label(at.text_input, "Title of the new level").input("Distinguished Data Analyst")
    by_label(at.button, "Add level").click()
    rerun(at)

    [done] = [plain(success.value) for success in at.success]
    assert f"Levels: 1 added (DATA level {top_rank + 1} (Distinguished Data Analyst))" in done
    with Session(demo_engine) as session:
        added = session.scalar(
            select(PathwayLevel).where(
                PathwayLevel.job_family_id == family_id, PathwayLevel.rank == top_rank + 1
            )
        )
        required = {r.competency_id: r.required_level for r in added.requirements}
        added_id = added.id
    assert required == {**asked, raised: 5.0}
    assert len(asked) < 21
    assert at.selectbox(key="framework_level").value == added_id
    assert by_label(at.text_input, "Title of the new level").value == ""

    at.checkbox(key=f"framework_remove_level_sure_{added_id}").check()
    by_label(at.button, "Remove level").click()
    rerun(at)

    [done] = [plain(success.value) for success in at.success]
    assert done.endswith(f"Levels: 1 removed (DATA level {top_rank + 1}).")
    with Session(demo_engine) as session:
        assert session.get(PathwayLevel, added_id) is None
    assert at.selectbox(key="framework_level").value == top_id
    assert [entry.action for entry in audit_entries(demo_engine, "framework.level.add")] == [
        "framework.level.add"
    ]
    assert len(audit_entries(demo_engine, "framework.level.remove")) == 1
