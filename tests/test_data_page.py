"""The Data page: who gets it, the upload helpers, batch history, undo and the unmapped queue.

Page tests drive the app through Streamlit's AppTest on a copy of one demo database, so each
test can write without disturbing the next. The upload, check and apply steps are tested
through `ui.imports` directly (bytes and a file name in, a report or a batch out), plus one
pass through the page's own uploader.
"""

import json
import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, exists, func, select
from sqlalchemy.orm import Session, aliased
from streamlit.testing.v1 import AppTest

import ui.imports
from data_model.access import OPERATOR, Viewer, viewer_for_person
from data_model.database import open_database
from data_model.exports import safe_for_spreadsheet
from data_model.models import (
    Activity,
    AuditEntry,
    Competency,
    ImportBatch,
    LearningRecord,
    Person,
)
from data_model.queries import demo_personas
from data_model.queries.catalogue import activity_options, people_options
from loaders.badges import badges_importer
from loaders.batches import rejected_rows, unmapped_keys
from loaders.catalogue_csv import import_catalogue
from loaders.demo import seed_demo_organisation
from loaders.errors import FileRefused
from loaders.framework_yaml import add_framework, parse_framework_yaml
from loaders.mappings import mapping_names
from loaders.pipeline import run_record_import
from loaders.records_csv import RecordsCsvImporter
from loaders.roster_csv import import_roster
from tests.conftest import PROJECT_ROOT

APP = str(PROJECT_ROOT / "app.py")
DATA_PAGE = "app_pages/data.py"
FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "imports"
BADGES = PROJECT_ROOT / "tests" / "fixtures" / "badges"
FRAMEWORKS = PROJECT_ROOT / "tests" / "fixtures" / "frameworks"


# Databases ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo organisation, seeded once; each test works on its own copy."""
    path = tmp_path_factory.mktemp("data-page") / "template.db"
    engine = open_database(f"sqlite:///{path}")
    seed_demo_organisation(engine, people=60, records_per_person=5)
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


@pytest.fixture
def personas(demo_engine: Engine) -> dict[str, Viewer]:
    with Session(demo_engine) as session:
        return demo_personas(session)


@pytest.fixture
def organisation(sqlite_engine: Engine) -> Engine:
    """The tiny framework, roster and catalogue of tests/fixtures/imports."""
    with Session(sqlite_engine) as session, session.begin():
        add_framework(session, parse_framework_yaml((FIXTURES / "framework.yaml").read_text()))
    import_roster(sqlite_engine, FIXTURES / "roster.csv")
    import_catalogue(sqlite_engine, FIXTURES / "catalogue.csv")
    return sqlite_engine


# Driving the app ---------------------------------------------------------------------------


def open_app(monkeypatch: pytest.MonkeyPatch, url: str, role: str) -> AppTest:
    monkeypatch.chdir(PROJECT_ROOT)
    monkeypatch.setenv("PATHWISE_DB_URL", url)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    at.selectbox(key="view_as").select(role).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_data_page(monkeypatch: pytest.MonkeyPatch, url: str) -> AppTest:
    at = open_app(monkeypatch, url, "ld_admin")
    at.switch_page(DATA_PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def rerun(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def by_label(widgets, label: str):
    [found] = [widget for widget in widgets if widget.label == label]
    return found


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    [table] = [frame.value for frame in at.dataframe if column in frame.value.columns]
    return table


def records_of_batch(engine: Engine, batch: int) -> int:
    with Session(engine) as session:
        return session.scalar(
            select(func.count(LearningRecord.id)).where(LearningRecord.import_batch_id == batch)
        )


# Who gets the page -------------------------------------------------------------------------


def test_the_ld_admin_gets_the_data_page_with_the_kind_and_the_uploader(
    monkeypatch: pytest.MonkeyPatch, demo_url: str
) -> None:
    at = open_data_page(monkeypatch, demo_url)

    assert [title.value for title in at.title] == ["Data"]
    kind = at.selectbox(key="data_kind")
    assert kind.label == "What are you loading?"
    assert kind.options == [
        "Framework",
        "Roster",
        "Catalogue",
        "Learning records CSV",
        "xAPI statements",
        "Open Badges",
    ]
    assert kind.value == ui.imports.RECORDS
    [uploader] = at.get("file_uploader")
    assert uploader.label == "Learning records CSV file"
    assert "200 MB" in uploader.help
    assert any(info.value.startswith("Choose a learning records CSV file") for info in at.info)
    assert not at.error

    kind.select_index(ui.imports.KINDS.index(ui.imports.KIND_BY_KEY["xapi"]))
    rerun(at)
    [uploader] = at.get("file_uploader")
    assert uploader.label == "xAPI statements file"


@pytest.mark.parametrize("role", ["learner", "manager"])
def test_learners_and_managers_do_not_get_the_data_page(
    monkeypatch: pytest.MonkeyPatch, demo_url: str, personas: dict[str, Viewer], role: str
) -> None:
    assert not personas[role].sees_everyone
    at = open_app(monkeypatch, demo_url, role)

    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(DATA_PAGE)


# Batch history and undo --------------------------------------------------------------------


def test_the_batch_history_shows_the_demo_batch(
    monkeypatch: pytest.MonkeyPatch, demo_url: str, demo_engine: Engine
) -> None:
    with Session(demo_engine) as session:
        demo_batch = session.scalar(select(ImportBatch).where(ImportBatch.kind == "demo"))
        records = session.scalar(select(func.count(LearningRecord.id)))
    assert demo_batch is not None

    at = open_data_page(monkeypatch, demo_url)

    history = table_with(at, "rows_loaded")
    [row] = history.to_dict("records")
    assert row["id"] == demo_batch.id
    assert row["kind"] == "Demo organisation"
    assert row["imported_by"] == "operator"
    assert row["status"] == "Applied"
    assert row["rows_loaded"] == records
    assert by_label(at.selectbox, "Batch to undo").options == [
        f"{demo_batch.id} · Demo organisation · {demo_batch.file_name}"
    ]


def test_undoing_a_batch_asks_first_then_removes_its_records(
    monkeypatch: pytest.MonkeyPatch,
    demo_url: str,
    demo_engine: Engine,
    personas: dict[str, Viewer],
) -> None:
    with Session(demo_engine) as session:
        batch = session.scalar(select(ImportBatch.id).where(ImportBatch.kind == "demo"))
    assert records_of_batch(demo_engine, batch) > 0
    at = open_data_page(monkeypatch, demo_url)

    at.button(key="data_undo").click()
    rerun(at)

    [question] = [warning.value for warning in at.warning]
    assert question.startswith(f"Undo batch {batch}?")
    assert records_of_batch(demo_engine, batch) > 0

    at.button(key="data_undo_cancel").click()
    rerun(at)
    assert not at.warning
    assert records_of_batch(demo_engine, batch) > 0

    at.button(key="data_undo").click()
    rerun(at)
    at.button(key="data_undo_confirm").click()
    rerun(at)

    assert records_of_batch(demo_engine, batch) == 0
    [done] = [success.value for success in at.success]
    assert done.startswith(f"Undid batch {batch}:")
    assert table_with(at, "rows_loaded").set_index("id").loc[batch, "status"] == "Undone"
    with Session(demo_engine) as session:
        audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "undo"))
    assert audit is not None
    assert audit.actor == personas["ld_admin"].email


def test_rejected_rows_download_is_offered_for_a_batch_with_rejects(
    monkeypatch: pytest.MonkeyPatch, demo_url: str, demo_engine: Engine
) -> None:
    summary = run_record_import(
        demo_engine, RecordsCsvImporter(), FIXTURES / "records.csv", "admin@example.org"
    )
    assert summary.rejected == 3

    at = open_data_page(monkeypatch, demo_url)

    rejects = by_label(at.selectbox, "Batch")
    assert rejects.value == summary.batch
    [download] = at.get("download_button")
    assert download.proto.label == "Download 3 rejected rows (CSV)"


# Unmapped queue ----------------------------------------------------------------------------


def test_mapping_an_unknown_person_loads_the_held_record(
    monkeypatch: pytest.MonkeyPatch,
    demo_url: str,
    demo_engine: Engine,
    personas: dict[str, Viewer],
    tmp_path: Path,
) -> None:
    with Session(demo_engine) as session:
        activity = session.scalar(select(Activity.external_id).order_by(Activity.id).limit(1))
        person = session.scalars(
            select(Person).where(Person.id != personas["ld_admin"].person_id).limit(1)
        ).one()
        person_id, external_id = person.id, person.external_id
        person_name, email = person.name, person.email
    export = tmp_path / "lms.csv"
    export.write_text(
        "record_id,person,activity,occurred_at,completed\n"
        f"lms-1,new.starter@elsewhere.example,{activity},2026-01-10,yes\n",
        encoding="utf-8",
    )
    summary = run_record_import(demo_engine, RecordsCsvImporter(), export, "admin@example.org")
    assert (summary.loaded, summary.unmapped) == (0, 1)

    at = open_data_page(monkeypatch, demo_url)
    queue = table_with(at, "first_batch")
    assert queue.to_dict("records") == [
        {
            "kind": "Person",
            "key": "new.starter@elsewhere.example",
            "records": 1,
            "first_batch": summary.batch,
        }
    ]
    assert by_label(at.selectbox, "Unknown person key").value == "new.starter@elsewhere.example"
    target = by_label(at.selectbox, "Is this person")
    assert target.value is None
    assert f"{person_name} — {email}" in target.options

    target.select(external_id)
    by_label(at.button, "Map and load held records").click()
    rerun(at)

    [done] = [success.value for success in at.success]
    assert done.startswith("Mapped 'new.starter@elsewhere.example' to ")
    assert done.endswith("1 held record applied.")
    assert any(info.value.startswith("Nothing is waiting to be mapped") for info in at.info)
    assert records_of_batch(demo_engine, summary.batch) == 1
    with Session(demo_engine) as session:
        assert unmapped_keys(session).empty
        record = session.scalars(
            select(LearningRecord).where(LearningRecord.import_batch_id == summary.batch)
        ).one()
        audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "map_key"))
    assert record.person_id == person_id
    assert audit is not None
    assert audit.actor == personas["ld_admin"].email


def test_mapping_without_choosing_a_person_writes_nothing(
    monkeypatch: pytest.MonkeyPatch, demo_url: str, demo_engine: Engine, tmp_path: Path
) -> None:
    export = tmp_path / "lms.csv"
    export.write_text("person,competency,occurred_at,rating\nghost,SQL,2026-01-10,2\n")
    run_record_import(demo_engine, RecordsCsvImporter(), export, "admin@example.org")
    at = open_data_page(monkeypatch, demo_url)

    by_label(at.button, "Map and load held records").click()
    rerun(at)

    [warning] = [warning.value for warning in at.warning]
    assert warning.startswith("Choose what 'ghost' stands for")
    with Session(demo_engine) as session:
        assert len(unmapped_keys(session)) == 1


def test_mapping_an_unaligned_badge_to_a_competency_loads_it(
    monkeypatch: pytest.MonkeyPatch,
    demo_url: str,
    demo_engine: Engine,
    personas: dict[str, Viewer],
    tmp_path: Path,
) -> None:
    badge = json.loads((FIXTURES.parent / "badges" / "single.json").read_text(encoding="utf-8"))
    badge["credentialSubject"]["achievement"].pop("alignment")
    achievement = badge["credentialSubject"]["achievement"]["id"]
    with Session(demo_engine) as session:
        email = session.scalars(select(Person.email).order_by(Person.id).limit(1)).one()
        code, name = session.execute(
            select(Competency.code, Competency.name).order_by(Competency.id).limit(1)
        ).one()
    badge["credentialSubject"]["identifier"][0]["identityHash"] = email
    path = tmp_path / "badge.json"
    path.write_text(json.dumps(badge), encoding="utf-8")
    summary = run_record_import(demo_engine, badges_importer(demo_engine), path, "a@example.org")
    assert summary.unmapped == 1

    at = open_data_page(monkeypatch, demo_url)
    assert by_label(at.selectbox, "Unknown achievement key").value == achievement
    target = by_label(at.selectbox, "Is evidence of this competency")
    assert f"{name} ({code})" in target.options
    target.select(code)
    by_label(at.button, "Map and load held records").click()
    rerun(at)

    [done] = [success.value for success in at.success]
    assert done == f"Mapped '{achievement}' to {name} ({code}): 1 held record applied."
    assert records_of_batch(demo_engine, summary.batch) == 1


def test_a_held_record_whose_competency_is_unknown_is_rejected_once_mapped(
    monkeypatch: pytest.MonkeyPatch, demo_url: str, demo_engine: Engine, tmp_path: Path
) -> None:
    export = tmp_path / "lms.csv"
    export.write_text("person,competency,occurred_at,rating\nghost,NOPE,2026-01-10,2\n")
    batch = run_record_import(demo_engine, RecordsCsvImporter(), export, "admin@example.org").batch
    with Session(demo_engine) as session:
        someone = session.scalar(select(Person.external_id).limit(1))
    at = open_data_page(monkeypatch, demo_url)

    by_label(at.selectbox, "Is this person").select(someone)
    by_label(at.button, "Map and load held records").click()
    rerun(at)

    assert not [button for button in at.button if button.label == "Map and load held records"]
    with Session(demo_engine) as session:
        assert rejected_rows(session, batch)["reason"].tolist() == [
            "No competency has the code 'NOPE'."
        ]


# Uploading through the page ----------------------------------------------------------------


def test_an_upload_is_checked_then_applied_as_the_viewer(
    monkeypatch: pytest.MonkeyPatch, demo_url: str, demo_engine: Engine
) -> None:
    at = open_data_page(monkeypatch, demo_url)
    admin_email = at.session_state["pathwise_context"].viewer.email

    at.file_uploader(key="data_upload_records").upload(
        "records.csv", (FIXTURES / "records.csv").read_bytes(), "text/csv"
    )
    rerun(at)
    assert table_with(at, "record_id")["record_id"].tolist()[:3] == ["r1", "r2", "r3"]
    assert by_label(at.selectbox, "`person` (required)").value == "person"
    assert not [button for button in at.button if button.label.startswith("Apply")]

    by_label(at.button, "Check the file").click()
    rerun(at)
    assert {m.label: m.value for m in at.metric} == {
        "Rows read": "10",
        "Ready to load": "7",
        "Rejected": "3",
    }
    assert table_with(at, "reason")["row"].tolist() == [8, 9, 10]
    with Session(demo_engine) as session:
        assert session.scalar(select(func.count(ImportBatch.id))) == 1

    at.button(key="data_apply").click()
    rerun(at)

    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Loaded"] == "0"
    assert metrics["Waiting to be mapped"] == "7"
    assert metrics["Rejected"] == "3"
    [applied] = [s.value for s in at.success]
    with Session(demo_engine) as session:
        batch = session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()
    assert batch is not None
    assert applied == f"Applied records.csv as batch {batch.id}."
    assert batch.imported_by == admin_email
    assert batch.file_name == "records.csv"
    assert not [button for button in at.button if button.label.startswith("Apply")]
    assert table_with(at, "rows_loaded")["id"].tolist() == [batch.id, batch.id - 1]


def test_an_upload_through_a_saved_mapping(
    monkeypatch: pytest.MonkeyPatch, demo_url: str, demo_engine: Engine
) -> None:
    at = open_data_page(monkeypatch, demo_url)
    at.file_uploader(key="data_upload_records").upload(
        "lms_export.csv", (FIXTURES / "lms_export.csv").read_bytes(), "text/csv"
    )
    rerun(at)
    assert by_label(at.selectbox, "`person` (required)").value is None

    for field, column in {"person": "who", "activity": "what", "occurred_at": "when"}.items():
        required = " (required)" if field in ui.imports.RECORDS.required else ""
        by_label(at.selectbox, f"`{field}`{required}").select(column)
    by_label(at.text_input, "Save this mapping as").input("Old LMS")
    by_label(at.button, "Check the file").click()
    rerun(at)

    assert {m.label: m.value for m in at.metric}["Ready to load"] == "2"
    with Session(demo_engine) as session:
        assert session.scalar(select(func.count(ImportBatch.id))) == 1
    assert mapping_names(demo_engine) == ["Old LMS"]
    assert at.selectbox(key="data_preset_records").options == [
        "None: columns named like the fields",
        "Old LMS",
    ]

    at.selectbox(key="data_preset_records").select("Old LMS")
    rerun(at)
    assert by_label(at.selectbox, "`person` (required)").value == "who"


@pytest.mark.parametrize(
    ("kind", "path", "applied"),
    [
        ("framework", FRAMEWORKS / "small.yaml", "Framework acme created."),
        ("badges", BADGES / "single.json", None),
    ],
)
def test_files_without_a_column_mapping_are_checked_then_applied(
    monkeypatch: pytest.MonkeyPatch,
    demo_url: str,
    demo_engine: Engine,
    kind: str,
    path: Path,
    applied: str | None,
) -> None:
    at = open_data_page(monkeypatch, demo_url)
    at.selectbox(key="data_kind").select_index(ui.imports.KINDS.index(ui.imports.KIND_BY_KEY[kind]))
    rerun(at)
    at.file_uploader(key=f"data_upload_{kind}").upload(path.name, path.read_bytes())
    rerun(at)
    assert "**Column mapping**" not in [m.value for m in at.markdown]

    by_label(at.button, "Check the file").click()
    rerun(at)
    assert at.button(key="data_apply").label == f"Apply {path.name}"
    at.button(key="data_apply").click()
    rerun(at)

    assert not at.error
    [success] = [s.value for s in at.success]
    assert success.startswith(f"Applied {path.name} as batch ")
    if applied:
        assert any(m.value.startswith(applied) for m in at.markdown)
    with Session(demo_engine) as session:
        batch = session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()
    assert batch is not None
    assert batch.kind == kind
    assert batch.imported_by.endswith("@demo.pathwise.example")


def test_a_file_refused_on_apply_says_why_and_writes_nothing(
    monkeypatch: pytest.MonkeyPatch, demo_url: str, demo_engine: Engine
) -> None:
    at = open_data_page(monkeypatch, demo_url)
    framework = ui.imports.KIND_BY_KEY["framework"]
    at.selectbox(key="data_kind").select_index(ui.imports.KINDS.index(framework))
    rerun(at)
    at.file_uploader(key="data_upload_framework").upload(
        "framework.yaml", (FIXTURES / "framework.yaml").read_bytes()
    )
    rerun(at)
    by_label(at.button, "Check the file").click()
    rerun(at)
    at.button(key="data_apply").click()
    rerun(at)

    [error] = [error.value for error in at.error]
    assert error.startswith("framework.yaml cannot be applied: the job family 'DATA' already")
    assert error.endswith(" Nothing was written.")
    with Session(demo_engine) as session:
        assert session.scalar(select(func.count(ImportBatch.id))) == 1


def test_a_refused_upload_says_why_and_offers_no_apply(
    monkeypatch: pytest.MonkeyPatch, demo_url: str
) -> None:
    at = open_data_page(monkeypatch, demo_url)
    at.file_uploader(key="data_upload_records").upload(
        "missing.csv", (FIXTURES / "records_missing_column.csv").read_bytes(), "text/csv"
    )
    rerun(at)
    by_label(at.button, "Check the file").click()
    rerun(at)

    [error] = [error.value for error in at.error]
    assert (
        error == "missing.csv is missing the required column occurred_at (it has person, activity)."
    )
    assert not [button for button in at.button if button.label.startswith("Apply")]


def test_an_upload_over_the_limit_is_refused(
    monkeypatch: pytest.MonkeyPatch, demo_url: str
) -> None:
    monkeypatch.setattr(ui.imports, "upload_limit_mb", lambda: 1)
    at = open_data_page(monkeypatch, demo_url)
    at.file_uploader(key="data_upload_records").upload(
        "big.csv", b"person,occurred_at\n" + b"x" * (1024**2 + 1), "text/csv"
    )
    rerun(at)

    [error] = [error.value for error in at.error]
    assert error.startswith("big.csv is 1.0 MB, over the 1 MB upload limit")
    assert not [button for button in at.button if button.label == "Check the file"]


# The helpers behind the upload -------------------------------------------------------------


def test_preview_reads_the_header_as_the_importers_do() -> None:
    columns, preview = ui.imports.preview_csv(
        "\ufeff a ,b,a,\n1,2,3,4\n5\n".encode(), "odd.csv", rows=5
    )

    assert columns == ["a", "b", "a", ""]
    assert list(preview.columns) == ["a", "b", "a (2)", "(column 4)"]
    assert preview.to_dict("records") == [
        {"a": "1", "b": "2", "a (2)": "3", "(column 4)": "4"},
        {"a": "5", "b": "", "a (2)": "", "(column 4)": ""},
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty.csv is empty: it has no header row."),
        (
            b"\xff\xfe\x00a",
            "empty.csv is not UTF-8 text (line 1 cannot be decoded); "
            "save it as CSV UTF-8 and try again.",
        ),
    ],
)
def test_preview_refuses_what_cannot_be_read(content: bytes, message: str) -> None:
    with pytest.raises(FileRefused, match=f"^{re.escape(message)}$"):
        ui.imports.preview_csv(content, "empty.csv")


def test_the_mapping_starts_from_same_name_columns_and_a_saved_mapping() -> None:
    columns = ["Person", "what", "when", "notes"]

    start = ui.imports.default_choices(("person", "activity", "occurred_at", "notes"), columns)
    assert start == {"person": "Person", "activity": None, "occurred_at": None, "notes": "notes"}

    saved = {"activity": "what", "occurred_at": "when", "notes": "=", "score": "mark"}
    start = ui.imports.default_choices(
        ("person", "activity", "occurred_at", "notes", "score"), columns, saved
    )
    assert start == {
        "person": "Person",
        "activity": "what",
        "occurred_at": "when",
        "notes": None,
        "score": None,
    }

    mapping = ui.imports.mapping_from_choices(start, columns)
    assert mapping == {"person": "Person", "activity": "what", "occurred_at": "when", "notes": "="}


def test_a_field_read_from_another_column_while_its_own_exists_is_flagged() -> None:
    clashes = ui.imports.mapping_clashes({"person": "who", "notes": "="}, ["person", "who"])

    assert clashes == [
        "The file also has a column called 'person', which the importer would read as person "
        "as well as 'who'; remove or rename that column first."
    ]


def test_checking_a_records_file_counts_without_writing(organisation: Engine) -> None:
    data = (FIXTURES / "records.csv").read_bytes()
    with Session(organisation) as session:
        batches = session.scalar(select(func.count(ImportBatch.id)))

    report = ui.imports.check_upload("records", data, "records.csv")

    assert (report.rows, report.ready, report.rejected, report.refused) == (10, 7, 3, None)
    assert report.rejections.fillna("").to_dict("records") == [
        {"row": 8, "field": "score", "reason": "score: 'abc' is not a number"},
        {"row": 9, "field": "", "reason": "a record needs an activity or a competency"},
        {
            "row": 10,
            "field": "occurred_at",
            "reason": "occurred_at: 'not a date' is not a date (use YYYY-MM-DD or ISO 8601)",
        },
    ]
    with Session(organisation) as session:
        assert session.scalar(select(func.count(ImportBatch.id))) == batches
        assert session.scalar(select(func.count(LearningRecord.id))) == 0


@pytest.mark.parametrize(
    ("fixture", "refused"),
    [
        (
            "records_not_utf8.csv",
            "f.csv is not UTF-8 text (line 3 cannot be decoded); "
            "save it as CSV UTF-8 and try again.",
        ),
        (
            "records_missing_column.csv",
            "f.csv is missing the required column occurred_at (it has person, activity).",
        ),
    ],
)
def test_checking_a_bad_file_gives_the_one_sentence_reason(fixture: str, refused: str) -> None:
    report = ui.imports.check_upload("records", (FIXTURES / fixture).read_bytes(), "f.csv")

    assert report.refused == refused
    assert report.rows == 0


def test_checking_through_a_mapping_with_day_numbers() -> None:
    data = b"who,what,day\nP1,SQL-101,3\nP2,SQL-101,soon\n"
    mapping = {"person": "who", "activity": "what", "occurred_at": "day"}

    report = ui.imports.check_upload(
        "records", data, "oulad.csv", mapping, days_from=date(2026, 1, 1)
    )

    assert (report.ready, report.rejected) == (1, 1)
    assert report.rejections.loc[0, "field"] == "occurred_at"


def test_checking_roster_catalogue_framework_and_badges() -> None:
    roster = ui.imports.check_upload(
        "roster", (FIXTURES / "roster_bad.csv").read_bytes(), "roster_bad.csv"
    )
    assert roster.rejected >= 1
    assert "email" in set(roster.rejections["field"])
    assert "Managers" in roster.note

    catalogue = ui.imports.check_upload(
        "catalog", (FIXTURES / "catalogue.csv").read_bytes(), "catalogue.csv"
    )
    assert (catalogue.ready, catalogue.rejected, catalogue.refused) == (3, 0, None)

    framework = ui.imports.check_upload(
        "framework", (FIXTURES / "framework.yaml").read_bytes(), "framework.yaml"
    )
    assert framework.refused is None
    assert framework.note.startswith("Framework tiny (Tiny framework): 3 competencies")

    not_a_framework = ui.imports.check_upload("framework", b"x", "notes.txt")
    assert not_a_framework.refused.startswith("notes.txt is not a framework file")

    badges = ui.imports.check_upload("badges", (BADGES / "single.json").read_bytes(), "b.json")
    assert badges.refused is None
    assert badges.ready >= 1

    xapi = ui.imports.check_upload("xapi", b"hello", "statements.json")
    assert xapi.refused == "statements.json is not xAPI JSON: it starts with 'h', not [ or {."


def test_an_upload_over_the_limit_is_refused_in_one_sentence() -> None:
    ui.imports.check_upload_size("ok.csv", 50 * 1024**2, 50)
    with pytest.raises(FileRefused, match=r"^big\.csv is 50\.0 MB, over the 50 MB upload limit"):
        ui.imports.check_upload_size("big.csv", 50 * 1024**2 + 1, 50)


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("records.csv", "records.csv"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\export.csv", "export.csv"),
        ("..", "upload"),
        ("bad\x00name\n.csv", "badname.csv"),
        ("x" * 300 + ".csv", "x" * 196 + ".csv"),
    ],
)
def test_upload_names_stay_inside_the_temporary_folder(name: str, safe: str) -> None:
    assert ui.imports.upload_name(name) == safe
    with ui.imports.saved_upload(b"data", name) as path:
        assert path.name == safe
        assert path.read_bytes() == b"data"
    assert not path.exists()


def test_applying_an_upload_writes_one_batch_as_the_viewer(organisation: Engine) -> None:
    steps: list[tuple[float, str]] = []

    result = ui.imports.apply_upload(
        organisation,
        "records",
        (FIXTURES / "records.csv").read_bytes(),
        "records.csv",
        "admin@example.org",
        progress=lambda fraction, message: steps.append((fraction, message)),
    )

    assert result.counts == {
        "loaded": 4,
        "duplicates": 1,
        "skipped": 0,
        "unmapped": 2,
        "rejected": 3,
    }
    assert result.errors["row"].tolist() == [8, 9, 10]
    assert steps[-1] == (1.0, "Done")
    with Session(organisation) as session:
        batch = session.get(ImportBatch, result.batch)
        audit = session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "import", AuditEntry.target_id == str(result.batch)
            )
        )
    assert batch is not None
    assert (batch.imported_by, batch.file_name) == ("admin@example.org", "records.csv")
    assert audit is not None
    assert audit.actor == "admin@example.org"


def test_applying_through_a_mapping_and_other_kinds(organisation: Engine) -> None:
    mapping = {"person": "who", "activity": "what", "occurred_at": "when"}
    data = b"who,what,when\nP1,SQL-101,2026-05-01\n"

    records = ui.imports.apply_upload(
        organisation, "records", data, "lms.csv", "admin@example.org", mapping=mapping
    )
    assert records.counts["loaded"] == 1

    roster = ui.imports.apply_upload(
        organisation,
        "roster",
        (FIXTURES / "roster.csv").read_bytes(),
        "roster.csv",
        "admin@example.org",
    )
    assert roster.kind == "roster"
    assert roster.counts["loaded"] > 0

    framework = ui.imports.apply_upload(
        organisation,
        "framework",
        (FIXTURES / "framework.yaml").read_bytes(),
        "framework.yaml",
        "admin@example.org",
    )
    assert framework.batch is not None
    assert framework.description.startswith("Framework tiny")
    with Session(organisation) as session:
        imported_by = set(session.scalars(select(ImportBatch.imported_by)))
    assert "admin@example.org" in imported_by


def test_a_refused_apply_writes_nothing(organisation: Engine) -> None:
    with Session(organisation) as session:
        before = session.scalar(select(func.count(ImportBatch.id)))

    with pytest.raises(FileRefused, match="not UTF-8"):
        ui.imports.apply_upload(
            organisation,
            "records",
            (FIXTURES / "records_not_utf8.csv").read_bytes(),
            "bad.csv",
            "admin@example.org",
        )

    with Session(organisation) as session:
        assert session.scalar(select(func.count(ImportBatch.id))) == before


def test_progress_updates_are_thinned_out() -> None:
    seen: list[tuple[float, str]] = []
    update = ui.imports.throttled(lambda fraction, message: seen.append((fraction, message)))

    for step in range(1000):
        update(step / 1000 * 0.95, "Reading")
    update(0.97, "Updating mastery")
    update(1.0, "Done")

    assert len(seen) < 110
    assert seen[0] == (0.0, "Reading")
    assert seen[-2:] == [(0.97, "Updating mastery"), (1.0, "Done")]


# Reads for the mapping choices -------------------------------------------------------------


def test_people_choices_follow_what_the_viewer_may_see(
    demo_engine: Engine, personas: dict[str, Viewer]
) -> None:
    manager = personas["manager"]
    report = aliased(Person)
    with Session(demo_engine) as session:
        everyone = people_options(session, OPERATOR)
        admin = people_options(session, personas["ld_admin"])
        team = people_options(session, manager)
        reports = set(
            session.scalars(select(Person.email).where(Person.manager_id == manager.person_id))
        )
        leaf = session.scalars(
            select(Person).where(~exists().where(report.manager_id == Person.id)).limit(1)
        ).one()
        alone = people_options(session, viewer_for_person(session, leaf))
        activities = activity_options(session)
        people = session.scalar(select(func.count(Person.id)))
        catalogue = session.scalar(select(func.count(Activity.id)))

    assert list(everyone.columns) == ["external_id", "name", "email", "active"]
    assert len(everyone) == len(admin) == people
    assert everyone["name"].tolist() == sorted(everyone["name"])
    assert {manager.email, *reports} <= set(team["email"])
    assert len(team) < people
    assert alone["email"].tolist() == [leaf.email]
    assert list(activities.columns) == ["external_id", "title", "kind"]
    assert len(activities) == catalogue
    assert activities["title"].tolist() == sorted(activities["title"])
    assert activities["kind"].map(type).eq(str).all()


# Safe downloads ----------------------------------------------------------------------------


def test_safe_for_spreadsheet_quotes_every_cell_that_would_run_as_a_formula() -> None:
    frame = pd.DataFrame(
        {
            "row": [2, 3, 4, 5, 6, 7, 8],
            "reason": ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\ry", "plain - text"],
            "=HYPERLINK(1)": [None, "", "ok", " =spaced", "a=b", "-", 1.5],
        }
    )

    safe = safe_for_spreadsheet(frame)

    assert list(safe.columns) == ["row", "reason", "'=HYPERLINK(1)"]
    assert safe["row"].tolist() == [2, 3, 4, 5, 6, 7, 8]
    assert safe["reason"].tolist() == [
        "'=1+1",
        "'+SUM(A1)",
        "'-2+3",
        "'@cmd",
        "'\tx",
        "'\ry",
        "plain - text",
    ]
    assert safe["'=HYPERLINK(1)"].tolist() == [None, "", "ok", " =spaced", "a=b", "'-", 1.5]
    assert frame.loc[0, "reason"] == "=1+1"


def test_safe_for_spreadsheet_leaves_numbers_and_empty_frames_alone() -> None:
    numbers = pd.DataFrame({"score": [-3, 4], "ratio": [-0.5, 1.0]})

    assert safe_for_spreadsheet(numbers).equals(numbers)
    assert safe_for_spreadsheet(pd.DataFrame()).empty


def test_the_rejected_rows_download_is_safe_csv() -> None:
    rows = pd.DataFrame({"row": [2], "field": ["person"], "reason": ["bad"], "person": ["=cmd"]})

    text = ui.imports.rejected_rows_csv(rows).decode("utf-8-sig")

    assert text.splitlines() == ["row,field,reason,person", "2,person,bad,'=cmd"]
