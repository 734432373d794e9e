"""Roster, catalogue and learning-record imports: validated, idempotent, undoable, and a
refused file changes nothing."""

import threading
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from data_model.models import (
    Activity,
    ActivityCompetency,
    Base,
    ImportBatch,
    LearningRecord,
    MasteryScore,
    Person,
    SourceKind,
    Verification,
)
from loaders.batches import BatchError, map_key, rejected_rows, undo_batch, unmapped_keys
from loaders.catalogue_csv import import_catalogue
from loaders.csv_stream import parse_mapping
from loaders.errors import FileRefused
from loaders.framework_yaml import add_framework, parse_framework_yaml
from loaders.pipeline import run_record_import
from loaders.record_input import RecordImporter, RowRejected
from loaders.records_csv import RecordsCsvImporter
from loaders.roster_csv import import_roster

FIXTURES = Path(__file__).parent / "fixtures" / "imports"


def table_counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
        }


@pytest.fixture
def organisation(engine: Engine) -> Engine:
    """The tiny framework, roster and catalogue of tests/fixtures/imports."""
    with Session(engine) as session, session.begin():
        add_framework(session, parse_framework_yaml((FIXTURES / "framework.yaml").read_text()))
    import_roster(engine, FIXTURES / "roster.csv")
    import_catalogue(engine, FIXTURES / "catalogue.csv")
    return engine


def import_records(engine: Engine, name: str, **options) -> dict:
    return run_record_import(engine, RecordsCsvImporter(**options), FIXTURES / name).as_json()


# Roster


def test_roster_loads_people_managers_and_extra_attributes(organisation: Engine) -> None:
    with Session(organisation) as session:
        people = {p.external_id: p for p in session.scalars(select(Person))}
    assert set(people) == {"M1", "P1", "P2", "P3"}
    assert people["P1"].manager_id == people["M1"].id
    assert people["P2"].job_family_id == people["P1"].job_family_id is not None
    assert people["P1"].attributes == {"gender": "man"}
    assert people["P3"].active is False
    assert people["P2"].email == "SAM@example.com"


def test_roster_reimport_updates_in_place(organisation: Engine, tmp_path: Path) -> None:
    changed = tmp_path / "roster.csv"
    changed.write_text((FIXTURES / "roster.csv").read_text().replace("Pat Lee", "Pat Leigh"))
    with Session(organisation) as session:
        before = session.scalar(select(Person.id).where(Person.external_id == "P1"))
    summary = import_roster(organisation, changed)
    with Session(organisation) as session:
        after = session.execute(select(Person.id, Person.name).where(Person.external_id == "P1"))
        assert after.one() == (before, "Pat Leigh")
    assert summary.loaded == 4


def test_roster_rejects_unknown_managers_cycles_bad_emails_and_families(
    organisation: Engine,
) -> None:
    summary = import_roster(organisation, FIXTURES / "roster_bad.csv")
    reasons = {error["row"]: (error["field"], error["message"]) for error in summary.errors}
    assert summary.rows == 6
    assert summary.loaded == 1
    assert summary.rejected == 5
    assert reasons[2] == ("manager_id", "Manager ZZ is not in the roster or the file.")
    assert reasons[3][0] == reasons[4][0] == "manager_id"
    assert reasons[3][1].startswith("Manager cycle: ")
    assert reasons[5] == ("email", "email: 'not-an-email' is not an email address")
    assert reasons[6] == ("job_family", "No job family 'NOPE'.")


# Catalogue


def test_catalogue_tags_and_pass_marks(organisation: Engine) -> None:
    with Session(organisation) as session:
        certificate = session.scalars(
            select(Activity).where(Activity.external_id == "SQL-CERT")
        ).one()
        tags = session.scalar(select(func.count()).select_from(ActivityCompetency))
        project = session.scalars(select(Activity).where(Activity.external_id == "PRES")).one()
    assert certificate.pass_mark == pytest.approx(0.7)
    assert tags == 4
    assert project.formal is False


# Learning records


def test_records_import_reports_every_outcome(organisation: Engine) -> None:
    summary = import_records(organisation, "records.csv")
    assert summary["rows"] == 10
    assert summary["loaded"] == 4
    assert summary["duplicates"] == 1
    assert summary["unmapped"] == 2
    assert summary["rejected"] == 3
    assert summary["errors"] == [
        {"row": 8, "field": "score", "message": "score: 'abc' is not a number"},
        {"row": 9, "field": None, "message": "a record needs an activity or a competency"},
        {
            "row": 10,
            "field": "occurred_at",
            "message": "occurred_at: 'not a date' is not a date (use YYYY-MM-DD or ISO 8601)",
        },
    ]
    with Session(organisation) as session:
        records = {r.dedupe_key: r for r in session.scalars(select(LearningRecord))}
        mastery = session.scalar(select(func.count()).select_from(MasteryScore))
    assert set(records) == {"record:r1", "record:r2", "record:r3", "record:r4"}
    assert records["record:r3"].verification is Verification.VERIFIED
    assert records["record:r3"].source_kind is SourceKind.ATTESTATION
    assert records["record:r4"].source_kind is SourceKind.SELF_REPORT
    assert records["record:r2"].source_kind is SourceKind.CERTIFICATION
    assert records["record:r1"].raw["occurred_at"] == "2026-01-10"
    assert mastery == 3


def test_importing_the_same_file_twice_adds_nothing(organisation: Engine) -> None:
    import_records(organisation, "records.csv")
    before = table_counts(organisation)
    again = import_records(organisation, "records.csv")
    assert again["loaded"] == 0
    assert again["duplicates"] == 5
    after = table_counts(organisation)
    assert after["learning_records"] == before["learning_records"]


def test_overlapping_files_are_deduplicated(organisation: Engine) -> None:
    import_records(organisation, "records.csv")
    overlap = import_records(organisation, "records_overlap.csv")
    assert (overlap["loaded"], overlap["duplicates"]) == (1, 1)


def test_two_overlapping_imports_at_once_leave_no_duplicates(organisation: Engine) -> None:
    outcomes: list[dict] = []
    threads = [
        threading.Thread(target=lambda n=name: outcomes.append(import_records(organisation, n)))
        for name in ("records.csv", "records_overlap.csv", "records.csv")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with Session(organisation) as session:
        keys = session.scalars(select(LearningRecord.dedupe_key)).all()
    assert len(outcomes) == 3
    assert len(keys) == len(set(keys)) == 5


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("records_missing_column.csv", "is missing the required column occurred_at"),
        ("records_not_utf8.csv", "is not UTF-8 text"),
    ],
)
def test_a_bad_file_is_refused_whole_and_changes_nothing(
    organisation: Engine, name: str, message: str
) -> None:
    before = table_counts(organisation)
    with pytest.raises(FileRefused, match=message):
        import_records(organisation, name)
    assert table_counts(organisation) == before


def test_a_file_with_only_a_header_is_an_empty_batch(organisation: Engine) -> None:
    assert import_records(organisation, "records_header_only.csv")["rows"] == 0


def test_other_exports_import_through_a_column_mapping(organisation: Engine) -> None:
    mapping = parse_mapping("person=who,activity=what,occurred_at=when,score=mark,max_score==100")
    summary = import_records(organisation, "lms_export.csv", mapping=mapping)
    assert (summary["loaded"], summary["rejected"]) == (2, 0)
    with Session(organisation) as session:
        scores = session.scalars(select(LearningRecord.max_score)).all()
    assert scores == [100.0, 100.0]


def test_undo_removes_exactly_the_batch_and_restores_mastery(organisation: Engine) -> None:
    import_records(organisation, "records.csv")
    with Session(organisation) as session:
        mastery_before = sorted(
            session.execute(
                select(MasteryScore.person_id, MasteryScore.competency_id, MasteryScore.mastery)
            ).all()
        )
    batch = import_records(organisation, "records_overlap.csv")["batch"]
    undone = undo_batch(organisation, batch)
    assert undone.records_removed == 1
    with Session(organisation) as session:
        mastery_after = sorted(
            session.execute(
                select(MasteryScore.person_id, MasteryScore.competency_id, MasteryScore.mastery)
            ).all()
        )
        status = session.scalar(select(ImportBatch.status).where(ImportBatch.id == batch))
    assert mastery_after == mastery_before
    assert str(status) == "undone"
    with pytest.raises(BatchError, match="already undone"):
        undo_batch(organisation, batch)


def test_held_records_apply_once_their_key_is_mapped(organisation: Engine) -> None:
    import_records(organisation, "records.csv")
    with Session(organisation) as session:
        waiting = unmapped_keys(session)
    assert set(zip(waiting["kind"], waiting["key"], strict=True)) == {
        ("person", "NOBODY"),
        ("activity", "UNKNOWN-COURSE"),
    }
    assert map_key(organisation, "person", "NOBODY", "P3") == 1
    assert map_key(organisation, "activity", "UNKNOWN-COURSE", "SQL-101") == 1
    with Session(organisation) as session:
        assert unmapped_keys(session).empty
        assert session.scalar(select(func.count()).select_from(LearningRecord)) == 6


def test_rejected_rows_download_with_their_reason(organisation: Engine) -> None:
    batch = import_records(organisation, "records.csv")["batch"]
    with Session(organisation) as session:
        frame = rejected_rows(session, batch)
    assert list(frame["row"]) == [8, 9, 10]
    assert list(frame.columns[:3]) == ["row", "field", "reason"]
    assert frame.loc[0, "score"] == "abc"


def test_the_open_university_export_imports_through_a_mapping(engine: Engine) -> None:
    from tests.conftest import SHARED_DATA, skip_or_fail

    export = SHARED_DATA / "oulad" / "studentAssessment.csv"
    if not export.exists():
        skip_or_fail(f"{export} is absent (../shared is not beside this checkout)")
    import pandas as pd

    frame = pd.read_csv(export, dtype=str)
    students = sorted(frame["id_student"].unique())[:300]
    assessments = sorted(frame["id_assessment"].unique())
    with Session(engine) as session, session.begin():
        add_framework(session, parse_framework_yaml((FIXTURES / "framework.yaml").read_text()))
        session.add_all(
            Person(external_id=s, name=f"Student {s}", email=f"{s}@ou.example") for s in students
        )
        session.add_all(
            Activity(external_id=a, title=f"Assessment {a}", kind="assessment", formal=True)
            for a in assessments
        )
    mapping = parse_mapping(
        "person=id_student,activity=id_assessment,occurred_at=date_submitted,"
        "score=score,max_score==100,source==assessment"
    )
    summary = run_record_import(
        engine, RecordsCsvImporter(mapping, days_from=pd.Timestamp("2013-10-01").date()), export
    )
    mine = frame[frame["id_student"].isin(students)]
    assert summary.rows == len(frame)
    assert summary.loaded + summary.rejected + summary.duplicates == len(mine)
    assert summary.unmapped == len(frame) - len(mine)
    assert summary.loaded > 0.9 * len(mine)
    assert all(error["field"] == "score" for error in summary.errors)


HEADER = "person,occurred_at,competency,rating"
cells = st.one_of(
    st.text(max_size=25),
    st.sampled_from(["SQL", "", "P1", "2026-01-01", "1e309", "-5", "NaN"]),
    st.integers(-(10**30), 10**30).map(str),
)
csv_rows = st.lists(st.lists(cells, min_size=1, max_size=6), max_size=6).map(
    lambda rows: "\n".join([HEADER, *(",".join(row) for row in rows)])
)
fuzzed_files = st.one_of(
    st.binary(max_size=400),
    csv_rows.map(lambda text: text.encode("utf-8", "surrogatepass")),
    csv_rows.map(lambda text: ("\ufeff" + text.replace("\n", "\r\n")).encode("utf-8", "replace")),
    csv_rows.map(lambda text: text.encode("utf-8", "replace")[: len(text) // 2]),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=fuzzed_files)
def test_parsing_any_bytes_gives_rows_or_a_refusal(data: bytes) -> None:
    import io

    try:
        rows = list(RecordsCsvImporter().parse(io.BytesIO(data), "fuzz.csv"))
    except (FileRefused, UnicodeDecodeError):
        return
    assert all(row.row_number >= 2 for row in rows)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=fuzzed_files)
def test_any_bytes_give_a_batch_or_a_refusal_that_changes_nothing(
    organisation: Engine, tmp_path: Path, data: bytes
) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    before = table_counts(organisation)
    try:
        summary = run_record_import(organisation, RecordsCsvImporter(), path)
    except FileRefused:
        assert table_counts(organisation) == before
        return
    assert summary.rows == summary.loaded + summary.duplicates + summary.rejected + (
        summary.unmapped + summary.skipped
    )


def test_a_mapping_wins_over_a_column_of_the_same_name(organisation: Engine, tmp_path) -> None:
    export = tmp_path / "export.csv"
    export.write_text("person,activity,occurred_at,grade,score\nP1,SQL-CERT,2026-05-01,91,oops\n")
    summary = run_record_import(
        organisation, RecordsCsvImporter(parse_mapping("score=grade,max_score==100")), export
    )
    assert (summary.loaded, summary.rejected) == (1, 0)
    with Session(organisation) as session:
        record = session.scalars(select(LearningRecord)).one()
    assert record.score == 91
    assert record.raw["unmapped:score"] == "oops"


ROSTER_HEADER = "person_id,name,email,manager_id,job_family,title_level"
CATALOGUE_HEADER = "activity_id,title,kind,hours,pass_mark,competencies"


def fuzzed_table(header: str) -> st.SearchStrategy[bytes]:
    rows = st.lists(st.lists(cells, min_size=1, max_size=7), max_size=5).map(
        lambda rows: "\n".join([header, *(",".join(row) for row in rows)])
    )
    return st.one_of(
        st.binary(max_size=300),
        rows.map(lambda text: text.encode("utf-8", "replace")),
        rows.map(lambda text: ("\ufeff" + text.replace("\n", "\r\n")).encode("utf-8", "replace")),
    )


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(roster=fuzzed_table(ROSTER_HEADER), catalogue=fuzzed_table(CATALOGUE_HEADER))
def test_rosters_and_catalogues_of_any_bytes_never_crash_or_half_write(
    organisation: Engine, tmp_path: Path, roster: bytes, catalogue: bytes
) -> None:
    for data, load in ((roster, import_roster), (catalogue, import_catalogue)):
        path = tmp_path / "fuzz.csv"
        path.write_bytes(data)
        before = table_counts(organisation)
        try:
            summary = load(organisation, path)
        except FileRefused:
            assert table_counts(organisation) == before
            continue
        assert summary.loaded + summary.rejected <= summary.rows


# The column-wise path for record files gives what the row-by-row path gives


FIELD_VALUES = {
    "record_id": ["", " r1 ", "r2", "x" * 200],
    "person": ["P1", " pat@example.com ", "", "  ", "NOBODY", "PAT@EXAMPLE.COM"],
    "activity": ["", "SQL-101", " SQL-CERT ", "UNKNOWN"],
    "competency": ["", "SQL", " COMM ", "NOPE"],
    "occurred_at": ["2026-01-01", "2026-01-01T10:00:00Z", " 2026-01-01 ", "2026-02-30", "12",
                    "-3", "", "1899-12-31", "2026-01-01T10:00:00+02:00", "20260101",
                    "99999999999"],
    "score": ["", "5", " 5 ", "-1", "1e13", "nan", "1_000", "inf", "0", "abc"],
    "max_score": ["", "100", "0", "-2", " 10 "],
    "rating": ["", "3", "3.5", "101", "-0.5", "x"],
    "passed": ["", "yes", " Y ", "maybe", "FAIL"],
    "completed": ["", "complete", "no", "2"],
    "source": ["", "exam", " Self ", "nonsense", "self report", "certification"],
    "verified_by": ["", "M1", "P1", "nobody"],
    "verification": ["", "verified", " pending ", "VERIFIED", "bogus"],
    "valid_until": ["", "2028-01-01", "2026-13-01", "20260101", "2026-01-01T00:00:00",
                    "0000-01-01"],
    "notes": ["", " a note ", "=1+1"],
}  # fmt: skip
PLAIN_ROW = ["r9", "P1", "SQL-101", "", "2026-01-01", "5", "10", "", "", "yes", "", "", "", "",
             ""]  # fmt: skip
record_rows = st.lists(
    st.tuples(*(st.sampled_from([plain] * 6 + values)
                for plain, values in zip(PLAIN_ROW, FIELD_VALUES.values(), strict=True)))
    .flatmap(lambda row: st.sampled_from([15, 15, 15, 1, 4, 8]).map(lambda n: list(row[:n]))),
    min_size=1,
    max_size=12,
)  # fmt: skip
ONE_ODD_FIELD = [
    [*PLAIN_ROW[:at], value, *PLAIN_ROW[at + 1 :]]
    for at, values in enumerate(FIELD_VALUES.values())
    for value in values
]


def accepted_rows_match_parse_row(rows: list[list[str]], days_from) -> int:
    """Check every row accepted column-wise against `parse_row`; how many were accepted."""
    import csv
    import io

    from loaders.record_input import RecordInput

    text = io.StringIO()
    csv.writer(text).writerows([list(FIELD_VALUES), *rows])
    importer = RecordsCsvImporter(days_from=days_from)
    accepted = 0
    for checked in importer.parse_blocks(io.BytesIO(text.getvalue().encode()), "rows.csv"):
        for at, position in enumerate(checked.accepted):
            number, row = checked.block.numbers[position], checked.block.row(position)
            fields = {name: values[at] for name, values in checked.fields.items()}
            assert importer.parse_row(number, row) == RecordInput(number, row, **fields)
            accepted += 1
    return accepted


@pytest.mark.parametrize("days_from", [None, date(2025, 9, 1)])
def test_rows_with_one_odd_field_are_accepted_column_wise_only_as_parse_row_takes_them(
    days_from,
) -> None:
    assert accepted_rows_match_parse_row(ONE_ODD_FIELD, days_from) > len(FIELD_VALUES)


@settings(max_examples=300, deadline=None)
@given(rows=record_rows, from_module_start=st.booleans())
def test_a_row_accepted_column_wise_is_the_record_parse_row_gives(
    rows: list[list[str]], from_module_start: bool
) -> None:
    accepted_rows_match_parse_row(rows, date(2025, 9, 1) if from_module_start else None)


def test_a_day_count_beyond_the_calendar_is_rejected_not_a_crash() -> None:
    importer = RecordsCsvImporter(days_from=date(2025, 9, 1))
    row = {"person": "P1", "activity": "SQL-101", "occurred_at": "99999999999"}
    rejected = importer.parse_row(2, row)
    assert isinstance(rejected, RowRejected)
    assert rejected.field == "occurred_at"
    assert "not a plausible date" in rejected.reason


def test_plain_rows_are_accepted_column_wise() -> None:
    import io

    data = (FIXTURES / "records.csv").read_bytes()
    (checked,) = RecordsCsvImporter().parse_blocks(io.BytesIO(data), "records.csv")
    assert [checked.block.numbers[p] for p in checked.accepted] == [2, 3, 4, 5, 6, 7, 11]


class RowByRow(RecordImporter):
    """The records CSV importer without its column-wise path."""

    kind = "records"

    def parse(self, stream, file_name):
        return RecordsCsvImporter().parse(stream, file_name)


def stored_outcome(engine: Engine, batch: int) -> tuple[list, list, list]:
    from data_model.models import RejectedRow, UnmappedRecord

    with Session(engine) as session:
        records = session.execute(
            select(*(c for c in LearningRecord.__table__.c
                     if c.name not in {"id", "import_batch_id", "created_at"}))
            .order_by(LearningRecord.dedupe_key)
        ).all()  # fmt: skip
        rejected = session.execute(
            select(RejectedRow.row_number, RejectedRow.field, RejectedRow.reason, RejectedRow.raw)
            .where(RejectedRow.batch_id == batch).order_by(RejectedRow.row_number)
        ).all()  # fmt: skip
        held = session.execute(
            select(UnmappedRecord.row_number, UnmappedRecord.kind, UnmappedRecord.key,
                   UnmappedRecord.record, UnmappedRecord.raw)
            .where(UnmappedRecord.batch_id == batch).order_by(UnmappedRecord.row_number)
        ).all()  # fmt: skip
    return [tuple(r) for r in records], [tuple(r) for r in rejected], [tuple(r) for r in held]


@pytest.mark.parametrize("name", ["records.csv", "records_overlap.csv"])
def test_the_column_wise_import_stores_what_the_row_by_row_import_stores(
    organisation: Engine, tmp_path: Path, name: str
) -> None:
    source = (FIXTURES / name).read_text()
    path = tmp_path / name
    # Rows without an id (hashed dedupe key), the same record twice, and an odd date form.
    path.write_text(source + ",P1,SQL-101,,2026-04-01,7,10,,,yes,,,,\n"
                    ",P1,SQL-101,,2026-04-01,7,10,,,yes,,,,\n"
                    "r40,P2,,SQL,2026-04-02T08:00:00.5+01:00,,,3,,,,M1,2027-01-01,x\n")  # fmt: skip
    outcomes = []
    for importer in (RowByRow(), RecordsCsvImporter()):
        summary = run_record_import(organisation, importer, path)
        outcomes.append(
            (summary.as_json() | {"batch": None}, stored_outcome(organisation, summary.batch))
        )
        undo_batch(organisation, summary.batch)
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][1][0]
