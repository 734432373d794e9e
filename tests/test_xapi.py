"""The xAPI importer: every accepted shape through the real pipeline, the spec's own examples,
and fuzzing that shows a bad file is refused whole or row by row, never crashes."""

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from data_model.models import (
    Activity,
    ActivityCompetency,
    ActivityKind,
    AuditEntry,
    Base,
    Competency,
    CompetencyCategory,
    Framework,
    LearningRecord,
    MasteryScore,
    Person,
    RejectedRow,
    SourceKind,
    UnmappedRecord,
)
from loaders.errors import FileRefused
from loaders.pipeline import ImportSummary, run_record_import
from loaders.record_input import RecordInput, RowRejected, RowSkipped, RowVoided
from loaders.xapi import CHUNK_BYTES, XapiImporter, parse_statement, verb_name
from tests.conftest import SHARED_DATA, skip_or_fail

FIXTURES = Path(__file__).parent / "fixtures" / "xapi"
SPEC_EXAMPLES = SHARED_DATA / "xapi" / "spec-examples"
EXAM = "https://lms.example.com/assessments/sql-exam"
COURSE = "https://lms.example.com/courses/sql-101"
ROW_TYPES = RecordInput | RowRejected | RowSkipped | RowVoided
COUNTS = ("rows", "loaded", "duplicates", "skipped", "unmapped", "rejected")


def seed_catalogue(engine: Engine) -> dict[str, int]:
    """Two people, an exam and a course both tagged to competency SQL; their ids by name."""
    with Session(engine) as session, session.begin():
        framework = Framework(code="data", name="Data", scale_labels={}, mastery_settings={})
        sql = Competency(framework=framework, code="SQL", name="SQL",
                         category=CompetencyCategory.TECHNICAL)  # fmt: skip
        ada = Person(external_id="P1", name="Ada Lovelace", email="ada@example.com")
        grace = Person(external_id="P2", name="Grace Hopper", email="grace@example.com")
        exam = Activity(external_id="sql-exam", xapi_iri=EXAM, title="SQL exam",
                        kind=ActivityKind.ASSESSMENT, formal=True)  # fmt: skip
        course = Activity(external_id="sql-101", xapi_iri=COURSE, title="SQL 101",
                          kind=ActivityKind.COURSE, formal=True)  # fmt: skip
        exam.tags.append(ActivityCompetency(competency=sql, target_level=3))
        course.tags.append(ActivityCompetency(competency=sql, target_level=2))
        session.add_all([ada, grace, exam, course])
        session.flush()
        return {"ada": ada.id, "grace": grace.id, "sql": sql.id}


def import_file(engine: Engine, path: Path) -> ImportSummary:
    return run_record_import(engine, XapiImporter(), path, imported_by="test@example.com")


def counts(summary: ImportSummary) -> dict[str, int]:
    return {name: getattr(summary, name) for name in COUNTS}


def expected(**values: int) -> dict[str, int]:
    return {name: values.get(name, 0) for name in COUNTS}


def records(engine: Engine) -> dict[str, LearningRecord]:
    with Session(engine) as session:
        return {r.dedupe_key: r for r in session.scalars(select(LearningRecord))}


def mastery_evidence(engine: Engine) -> dict[tuple[int, int], int]:
    with Session(engine) as session:
        return {(m.person_id, m.competency_id): m.evidence_count
                for m in session.scalars(select(MasteryScore))}  # fmt: skip


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table.name: connection.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


def parse_bytes(data: bytes, name: str = "upload.json") -> list[Any]:
    return list(XapiImporter().parse(io.BytesIO(data), name))


def parse_or_refusal(data: bytes, name: str = "upload.json") -> list[Any] | FileRefused:
    try:
        return parse_bytes(data, name)
    except FileRefused as refused:
        return refused


# -- Every shape through the pipeline ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "summary"),
    [
        ("array.json", expected(rows=4, loaded=3, skipped=1)),
        ("single.json", expected(rows=1, loaded=1)),
        ("statements.jsonl", expected(rows=3, loaded=3)),
        ("lrs_response.json", expected(rows=2, loaded=1, skipped=1)),
        ("voiding.json", expected(rows=1, skipped=1)),
        ("unknown_keys.json", expected(rows=2, unmapped=2)),
        ("not_evidence.jsonl", expected(rows=6, skipped=6)),
        ("bad_rows.jsonl", expected(rows=7, loaded=1, rejected=6)),
        ("bom_crlf.jsonl", expected(rows=2, loaded=2)),
        ("bom_crlf_array.json", expected(rows=2, loaded=2)),
    ],
)
def test_each_shape_imports_with_exact_counts(
    engine: Engine, name: str, summary: dict[str, int]
) -> None:
    seed_catalogue(engine)
    assert counts(import_file(engine, FIXTURES / name)) == summary


@pytest.mark.parametrize(
    "name", ["array.json", "single.json", "statements.jsonl", "lrs_response.json", "bom_crlf.jsonl"]
)
def test_importing_the_same_file_twice_gives_only_duplicates(engine: Engine, name: str) -> None:
    seed_catalogue(engine)
    first = import_file(engine, FIXTURES / name)
    again = import_file(engine, FIXTURES / name)
    assert first.loaded > 0
    assert (again.loaded, again.duplicates) == (0, first.loaded)
    assert len(records(engine)) == first.loaded


def test_an_lrs_page_with_more_statements_says_where_they_are(
    engine: Engine, tmp_path: Path
) -> None:
    seed_catalogue(engine)
    page = json.loads((FIXTURES / "lrs_response.json").read_text(encoding="utf-8"))
    more = "https://lrs.example.com/xapi/statements?more=page-2"
    path = tmp_path / "page-1.json"
    path.write_text(json.dumps(page | {"more": f" {more} "}))
    summary = import_file(engine, path)
    assert summary.as_json()["more"] == more
    assert counts(summary) == expected(rows=2, loaded=1, skipped=1)
    with Session(engine) as session:
        audited = session.scalars(select(AuditEntry).where(AuditEntry.action == "import")).one()
    assert audited.details["more"] == more


@pytest.mark.parametrize("more", ["", None])
def test_a_last_lrs_page_adds_no_more_link(engine: Engine, tmp_path: Path, more) -> None:
    seed_catalogue(engine)
    page = json.loads((FIXTURES / "lrs_response.json").read_text(encoding="utf-8"))
    page.pop("more", None)
    path = tmp_path / "last.json"
    path.write_text(json.dumps(page if more is None else page | {"more": more}))
    assert "more" not in import_file(engine, path).as_json()


def test_bom_and_crlf_fixtures_really_have_them() -> None:
    for name in ("bom_crlf.jsonl", "bom_crlf_array.json"):
        data = (FIXTURES / name).read_bytes()
        assert data.startswith(b"\xef\xbb\xbf")
        assert data.count(b"\r\n") == data.count(b"\n") > 1


def test_a_record_keeps_the_statement_as_read_and_maps_its_fields(engine: Engine) -> None:
    ids = seed_catalogue(engine)
    import_file(engine, FIXTURES / "array.json")
    statements = json.loads((FIXTURES / "array.json").read_text(encoding="utf-8"))
    stored = records(engine)
    passed = stored["xapi:6a3b2f8e-0c1d-4e5f-8a9b-0123456789a1"]
    assert passed.raw == statements[0]
    assert (passed.person_id, passed.score, passed.max_score) == (ids["ada"], 0.9, 1.0)
    assert (passed.passed, passed.completed) == (True, True)
    assert passed.occurred_at == datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    assert passed.source_kind is SourceKind.ASSESSMENT
    completed = stored["xapi:6a3b2f8e-0c1d-4e5f-8a9b-0123456789a2"]
    assert completed.raw == statements[1]
    assert (completed.person_id, completed.score, completed.max_score) == (ids["grace"], 15, 20)
    assert (completed.passed, completed.completed) == (True, True)
    assert completed.source_kind is SourceKind.COURSE
    failed = stored["xapi:6a3b2f8e-0c1d-4e5f-8a9b-0123456789a4"]
    assert (failed.score, failed.passed, failed.completed) == (0.35, False, True)


def test_single_statement_without_id_is_deduplicated_by_hash(engine: Engine) -> None:
    ids = seed_catalogue(engine)
    import_file(engine, FIXTURES / "single.json")
    [(key, record)] = records(engine).items()
    assert key.startswith("hash:")
    assert record.person_id == ids["grace"]
    assert record.occurred_at == datetime(2026, 4, 1, 12, tzinfo=UTC)
    assert (record.passed, record.completed, record.score) == (True, True, None)
    assert record.raw["result"]["response"] == "Ünïcödé ✓ 学习"


def test_json_lines_map_other_vocabularies_scored_and_stored(engine: Engine) -> None:
    seed_catalogue(engine)
    import_file(engine, FIXTURES / "statements.jsonl")
    stored = records(engine)
    dod = stored["xapi:0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f1"]
    assert (dod.completed, dod.passed) == (True, None)
    assert dod.occurred_at == datetime(2026, 1, 10, 10, tzinfo=UTC)
    scored = stored["xapi:0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f2"]
    assert (scored.score, scored.max_score) == (80, 100)
    assert (scored.passed, scored.completed) == (None, None)
    assert stored["xapi:0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f3"].passed is True


def test_mastery_follows_imports_and_voiding(engine: Engine) -> None:
    ids = seed_catalogue(engine)
    import_file(engine, FIXTURES / "array.json")
    assert mastery_evidence(engine) == {(ids["ada"], ids["sql"]): 2, (ids["grace"], ids["sql"]): 1}
    summary = import_file(engine, FIXTURES / "voiding.json")
    assert counts(summary) == expected(rows=1, skipped=1)
    assert "xapi:6a3b2f8e-0c1d-4e5f-8a9b-0123456789a1" not in records(engine)
    assert len(records(engine)) == 2
    assert mastery_evidence(engine) == {(ids["ada"], ids["sql"]): 1, (ids["grace"], ids["sql"]): 1}


def test_a_statement_voided_in_the_same_file_is_not_kept(engine: Engine, tmp_path: Path) -> None:
    seed_catalogue(engine)
    voiding = statement(verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
                        object={"objectType": "StatementRef", "id": statement()["id"]},
                        id="22222222-2222-4222-8222-222222222222")  # fmt: skip
    path = tmp_path / "both.jsonl"
    path.write_text(f"{json.dumps(statement())}\n{json.dumps(voiding)}\n", encoding="utf-8")
    assert counts(import_file(engine, path)) == expected(rows=2, loaded=1, skipped=1)
    assert records(engine) == {}
    assert mastery_evidence(engine) == {}


def test_unknown_actor_and_activity_are_held(engine: Engine) -> None:
    seed_catalogue(engine)
    import_file(engine, FIXTURES / "unknown_keys.json")
    with Session(engine) as session:
        held = {(u.kind, u.key) for u in session.scalars(select(UnmappedRecord))}
    assert held == {("person", "nobody@elsewhere.example"),
                    ("activity", "https://elsewhere.example/courses/unknown")}  # fmt: skip


def test_bad_rows_are_kept_with_field_and_reason(engine: Engine) -> None:
    seed_catalogue(engine)
    summary = import_file(engine, FIXTURES / "bad_rows.jsonl")
    with Session(engine) as session:
        kept = {r.row_number: (r.field, r.reason)
                for r in session.scalars(select(RejectedRow))}  # fmt: skip
    assert kept == {
        1: (None, "line 1 is not valid JSON (column 57: Expecting value)"),
        3: ("verb.id", "verb.id: Field required"),
        4: ("actor", "actor: mbox_sha1sum and openid cannot be matched to a person; "
                     "send mbox or account"),
        5: ("result.score", "result.score: scaled is negative, which Pathwise cannot weigh "
                            "as evidence"),
        6: ("timestamp", "no timestamp"),
        8: ("id", "id: must be a UUID"),
    }  # fmt: skip
    assert [error["row"] for error in summary.errors] == [1, 3, 4, 5, 6, 8]


def test_skipped_rows_say_why() -> None:
    rows = parse_bytes((FIXTURES / "not_evidence.jsonl").read_bytes())
    assert [row.reason for row in rows] == [
        "verb 'launched' is not evidence of learning",
        "verb 'initialized' is not evidence of learning",
        "verb 'experienced' is not evidence of learning",
        "verb 'attempted' is not evidence of learning",
        "verb 'answered' is not evidence of learning",
        "object is not an activity",
    ]


# -- Mapping details ---------------------------------------------------------------------------


def statement(**changes: Any) -> dict[str, Any]:
    base = {"id": "11111111-2222-4333-8444-555555555555",
            "actor": {"mbox": "mailto:ada@example.com"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
            "object": {"id": COURSE}, "timestamp": "2026-01-01T00:00:00Z"}  # fmt: skip
    return base | changes


@pytest.mark.parametrize(
    ("verb", "result", "passed", "completed"),
    [
        ("passed", {"success": False, "completion": False}, True, True),
        ("failed", {"completion": True}, False, True),
        ("failed", {}, False, None),
        ("completed", {"success": False}, False, True),
        ("completed", {}, None, True),
        ("mastered", {}, True, None),
        ("scored", {"score": {"scaled": 0.5}, "success": True}, None, None),
    ],
)
def test_verbs_map_to_passed_and_completed(
    verb: str, result: dict[str, Any], passed: bool | None, completed: bool | None
) -> None:
    row = parse_statement(1, statement(verb={"id": f"http://adlnet.gov/expapi/verbs/{verb}"},
                                       result=result))  # fmt: skip
    assert isinstance(row, RecordInput)
    assert (row.passed, row.completed) == (passed, completed)


@pytest.mark.parametrize(
    ("score", "expected_score"),
    [
        ({"scaled": 0}, (0, 1)),
        ({"scaled": 1, "raw": 3, "max": 4}, (1, 1)),
        ({"raw": 7, "min": 2, "max": 12}, (5, 10)),
        ({"raw": -2, "min": -10, "max": 10}, (8, 20)),
        ({"raw": 3, "max": 4}, (3, 4)),
        ({"min": 0, "max": 4}, (None, None)),
    ],
)
def test_scores_map_to_score_out_of_max(
    score: dict[str, Any], expected_score: tuple[float | None, float | None]
) -> None:
    row = parse_statement(1, statement(result={"score": score}))
    assert isinstance(row, RecordInput)
    assert (row.score, row.max_score) == expected_score


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"result": {"score": {"raw": 3}}}, "result.score",
         "result.score: raw needs max (and min, if not 0)"),
        ({"result": {"score": {"raw": 5, "max": 4}}}, "result.score",
         "result.score: raw must be between min and max"),
        ({"result": {"score": {"scaled": 1.5}}}, "result.score",
         "result.score: scaled must be at most 1"),
        ({"result": {"score": {"scaled": "0.9"}}}, "result.score.scaled",
         "result.score.scaled: Input should be a valid number"),
        ({"result": {"success": "true"}}, "result.success",
         "result.success: Input should be a valid boolean"),
        ({"verb": {"id": "http://adlnet.gov/expapi/verbs/scored"}}, "result.score",
         "result.score: a 'scored' statement needs scaled or raw"),
        ({"actor": {"mbox": "ada@example.com"}}, "actor.mbox",
         "actor.mbox: must be a mailto: IRI"),
        ({"actor": {"objectType": "Group", "member": []}}, "actor",
         "actor: needs an mbox or an account to be matched to a person"),
        ({"object": {"objectType": "Activity"}}, "object.id", "object.id: an activity needs an id"),
        ({"object": {"objectType": "Person", "id": "x"}}, "object.objectType",
         "object.objectType: Input should be 'Activity', 'Agent', 'Group', 'SubStatement' or "
         "'StatementRef'"),
        ({"context": ["x"]}, "context", "context: Input should be a valid dictionary"),
        ({"objectType": "SubStatement"}, "objectType",
         "objectType: a SubStatement is part of a statement, not a statement"),
    ],
)  # fmt: skip
def test_invalid_statements_are_rejected_with_field_and_reason(
    changes: dict[str, Any], field: str, reason: str
) -> None:
    assert parse_statement(7, statement(**changes)) == RowRejected(
        7, statement(**changes), field, reason
    )


@pytest.mark.parametrize("when", ["yesterday", "1066-10-14T09:00:00Z"])
def test_an_unreadable_timestamp_rejects_the_row(when: str) -> None:
    """The wording is `parse_when`'s, shared with the CSV importer."""
    row = parse_statement(1, statement(timestamp=when))
    assert isinstance(row, RowRejected)
    assert row.field == "timestamp"
    assert row.reason.startswith("timestamp: ")
    assert when in row.reason


def test_statements_that_could_not_be_stored_are_rejected_as_escaped_text() -> None:
    nul = statement(result={"response": "a\x00b"})
    surrogate = statement(context={"platform": "\ud800"})
    deep: Any = "x"
    for _ in range(70):
        deep = [deep]
    for value in (nul, surrogate, statement(context={"extensions": deep})):
        row = parse_statement(1, value)
        assert isinstance(row, RowRejected)
        assert isinstance(row.raw, str)
        assert "\x00" not in row.raw
        row.raw.encode()


def test_stored_is_used_without_timestamp_and_naive_times_are_utc() -> None:
    row = parse_statement(1, statement(timestamp=None, stored="2026-02-03T04:05:06"))
    assert isinstance(row, RecordInput)
    assert row.occurred_at == datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)


def test_voiding_targets_the_canonical_statement_id() -> None:
    voiding = statement(verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
                        object={"objectType": "StatementRef",
                                "id": "{6A3B2F8E-0C1D-4E5F-8A9B-0123456789A1}"})  # fmt: skip
    row = parse_statement(3, voiding)
    assert row == RowVoided(3, voiding, "xapi:6a3b2f8e-0c1d-4e5f-8a9b-0123456789a1")
    record = parse_statement(1, statement(id="6A3B2F8E-0C1D-4E5F-8A9B-0123456789A1"))
    assert isinstance(record, RecordInput)
    assert record.dedupe_key() == row.voided_key


def test_voiding_an_activity_is_rejected() -> None:
    row = parse_statement(1, statement(verb={"id": "http://adlnet.gov/expapi/verbs/voided"}))
    assert isinstance(row, RowRejected)
    assert row.field == "object"


@pytest.mark.parametrize(
    ("verb_id", "name"),
    [
        ("http://adlnet.gov/expapi/verbs/passed", "passed"),
        ("https://w3id.org/xapi/dod-isd/verbs/completed/", "completed"),
        ("http://example.com/xapi/verbs#sent-a-statement", "sent-a-statement"),
        ("urn:example:verbs:Mastered", "mastered"),
    ],
)
def test_verbs_are_matched_by_their_last_segment(verb_id: str, name: str) -> None:
    assert verb_name(verb_id) == name


def test_unstorable_statements_are_kept_as_rejected_rows(engine: Engine, tmp_path: Path) -> None:
    """NUL characters, unpaired surrogates and deep nesting would break PostgreSQL's JSONB or
    the pipeline; each such row is rejected and kept as escaped text."""
    deep: Any = 1
    for _ in range(70):
        deep = [deep]
    lines = [
        json.dumps(statement(result={"response": "a\x00b"})).encode(),
        json.dumps(statement(context={"platform": "\udc80"})).encode(),
        json.dumps(statement(context={"extensions": deep})).encode(),
        b'{"id": "x\x00"}',
        b'{"id": "caf\xe9"}',
    ]
    path = tmp_path / "unstorable.jsonl"
    path.write_bytes(b"\n".join(lines))
    summary = import_file(engine, path)
    assert counts(summary) == expected(rows=5, rejected=5)
    with Session(engine) as session:
        kept = session.scalars(select(RejectedRow.raw).order_by(RejectedRow.row_number)).all()
    assert all(isinstance(raw, str) for raw in kept)
    assert "a\\u0000b" in kept[0]


# -- Whole-file problems -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "upload.json is empty."),
        (b" \r\n\t", "upload.json is empty."),
        (b"<xml/>", "upload.json is not xAPI JSON: it starts with '<', not [ or {."),
        (b'[{"a": 1},\n {"b": }]',
         "upload.json is not valid JSON (line 2, column 8: Expecting value)."),
        (b'[{"a": 1}] [', "upload.json is not valid JSON (line 1, column 12: more after the end "
                          "of the array)."),
        (b'[{"a": 1} {"b": 2}]', "upload.json is not valid JSON (line 1, column 11: expected , "
                                 "or ] after a statement)."),
        (b'{\n  "a": 1\n}\n{"b": 2}\n',
         "upload.json is not valid JSON (line 4, column 1: a second JSON value; JSON Lines need "
         "one statement per line)."),
        (b'[{"score": NaN}]',
         "upload.json is not valid JSON (line 1, column 2: NaN is not a JSON number)."),
        (b'[{"a": "\xe9"}]', "upload.json is not UTF-8 text (byte 9 cannot be decoded)."),
        (b'\xef\xbb\xbf[{"a": "\xe9"}]',
         "upload.json is not UTF-8 text (byte 12 cannot be decoded)."),
        (b'{"statements": {}, "more": ""}',
         "upload.json is an LRS response whose statements are not a list."),
    ],
)  # fmt: skip
def test_bad_files_are_refused_in_one_sentence(data: bytes, message: str) -> None:
    with pytest.raises(FileRefused) as refused:
        parse_bytes(data)
    assert str(refused.value) == message


def test_a_refusal_is_placed_by_line_and_column_far_into_the_file() -> None:
    good = json.dumps(statement()).encode()
    data = b"[\n" + b",\n".join([good] * 20_000) + b",\n  {oops}\n]"
    with pytest.raises(FileRefused) as refused:
        parse_bytes(data)
    assert str(refused.value) == (
        "upload.json is not valid JSON (line 20002, column 4: Expecting property name enclosed "
        "in double quotes)."
    )
    split_e_acute = b"[" + b" " * (CHUNK_BYTES - 3) + b'"\xc3\xa9\xe9"]'
    with pytest.raises(FileRefused) as refused:
        parse_bytes(split_e_acute)
    assert str(refused.value) == "upload.json is not UTF-8 text (byte 1,048,578 cannot be decoded)."


BAD_FILES = {
    "truncated.json": (FIXTURES / "array.json").read_bytes()[:-40],
    "garbage_after_rows.json": b"[" + json.dumps(statement()).encode() + b", nonsense]",
    "latin1.json": '[{"id": "café"}]'.encode("latin-1"),
    "empty.json": b"",
    "lrs_not_a_list.json": b'{"statements": "none"}',
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_refused_file_changes_nothing(engine: Engine, tmp_path: Path, name: str) -> None:
    seed_catalogue(engine)
    before = row_counts(engine)
    path = tmp_path / name
    path.write_bytes(BAD_FILES[name])
    with pytest.raises(FileRefused):
        import_file(engine, path)
    assert row_counts(engine) == before


# -- Streaming ---------------------------------------------------------------------------------


class Generated(io.RawIOBase):
    """A file of a million statements made as it is read, counting the bytes handed out."""

    def __init__(self, parts: Iterator[bytes]) -> None:
        self.parts, self.pending, self.handed_out = parts, b"", 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        wanted, have = [self.pending], len(self.pending)
        while have < size and (part := next(self.parts, b"")):
            wanted.append(part)
            have += len(part)
        data = b"".join(wanted)
        block, self.pending = data[:size], data[size:]
        self.handed_out += len(block)
        return block


def million(shape: str) -> Iterator[bytes]:
    line = json.dumps(statement()).encode()
    if shape == "array":
        yield b"[" + line
        yield from (b",\n" + line for _ in range(999_999))
        yield b"]"
    else:
        yield from (line + b"\n" for _ in range(1_000_000))


@pytest.mark.parametrize("shape", ["array", "jsonl"])
def test_statements_are_read_as_they_are_needed(shape: str) -> None:
    stream = Generated(million(shape))
    first = list(islice(XapiImporter().parse(stream, "big"), 3))
    assert [type(row) for row in first] == [RecordInput] * 3
    assert stream.handed_out <= 2 * CHUNK_BYTES


# -- The specification's own examples ----------------------------------------------------------


def spec_index() -> list[tuple[str, str]]:
    index = SPEC_EXAMPLES / "INDEX.tsv"
    if not index.is_file():
        return []
    return [(line.split("\t")[0], line.split("\t")[2])
            for line in index.read_text().splitlines() if line.strip()]  # fmt: skip


def spec_examples(complete: bool) -> list[str]:
    names = [name for name, kind in spec_index() if (kind == "statement") == complete]
    return names or ["(../shared is absent)"]


def spec_file(name: str) -> Path:
    path = SPEC_EXAMPLES / name
    if not path.is_file():
        skip_or_fail(f"{SPEC_EXAMPLES} is absent, so the xAPI spec examples cannot be read")
    return path


@pytest.mark.parametrize("name", spec_examples(complete=True))
def test_every_complete_spec_statement_is_taken(name: str) -> None:
    rows = parse_bytes(spec_file(name).read_bytes(), name)
    assert len(rows) == 1
    assert isinstance(rows[0], RecordInput | RowSkipped | RowVoided), rows[0]


@pytest.mark.parametrize("name", spec_examples(complete=False))
def test_spec_fragments_are_refused_or_rejected_with_a_reason(name: str) -> None:
    outcome = parse_or_refusal(spec_file(name).read_bytes(), name)
    if isinstance(outcome, FileRefused):
        assert str(outcome).startswith(name)
    else:
        assert outcome
        assert all(isinstance(row, RowRejected) and row.reason for row in outcome)


def test_the_spec_statements_go_through_the_pipeline(engine: Engine) -> None:
    names = [name for name, kind in spec_index() if kind == "statement"]
    if not names:
        skip_or_fail(f"{SPEC_EXAMPLES} is absent, so the xAPI spec examples cannot be read")
    seed_catalogue(engine)
    for name in names:
        summary = import_file(engine, spec_file(name))
        assert (summary.rows, summary.rejected) == (1, 0), name


# -- Fuzzing -----------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
NUMBER_TOKENS = ["1e400", "-1e400", "1" * 5000, "NaN", "-Infinity", "1e-400", "9" * 40, "-0"]
FIELDS = ["id", "actor", "verb", "object", "result", "timestamp", "stored", "context"]
FIXTURE_BYTES = [path.read_bytes() for path in sorted(FIXTURES.iterdir())]


@st.composite
def odd_statements(draw: st.DrawFn) -> bytes:
    """A valid statement with fields of the wrong type, odd text and out-of-range numbers,
    in any of the four shapes."""
    value: dict[str, Any] = statement(result={"score": {"scaled": "@number@"}})
    for field in draw(st.sets(st.sampled_from(FIELDS), max_size=3)):
        value[field] = draw(JSON_VALUES)
    value["actor"] = draw(st.sampled_from([value["actor"], {"mbox": draw(st.text())}]))
    text = json.dumps(value, ensure_ascii=draw(st.booleans()))
    text = text.replace('"@number@"', draw(st.sampled_from(NUMBER_TOKENS)))
    shape = draw(st.sampled_from(["single", "array", "jsonl", "lrs"]))
    text = {"single": text, "array": f"[{text}, {text}]", "jsonl": f"{text}\n{text}\n",
            "lrs": f'{{"statements": [{text}], "more": ""}}'}[shape]  # fmt: skip
    return text.encode("utf-8", "surrogatepass")


@st.composite
def damaged_fixtures(draw: st.DrawFn) -> bytes:
    """One of our fixtures with a few bytes changed, then perhaps cut short."""
    data = bytearray(draw(st.sampled_from(FIXTURE_BYTES)))
    for _ in range(draw(st.integers(0, 3))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data[: draw(st.integers(0, len(data)))])


ANY_INPUT = (
    st.binary(max_size=200)
    | st.builds(lambda start, rest: start + rest,
                st.sampled_from([b"[", b"{", b"\xef\xbb\xbf[", b"{}\n", b"[{"]),
                st.binary(max_size=200))
    | odd_statements()
    | damaged_fixtures()
)  # fmt: skip


def check_rows(data: bytes) -> bool:
    """Parse; every row must be storable as it is. True when the file was refused."""
    rows = parse_or_refusal(data)
    if isinstance(rows, FileRefused):
        assert str(rows).startswith("upload.json ")
        assert str(rows).endswith(".")
        return True
    for row in rows:
        assert isinstance(row, ROW_TYPES)
        if isinstance(row, RecordInput):
            assert row.occurred_at.tzinfo is not None
            assert row.score is None or 0 <= row.score <= row.max_score
        if isinstance(row, RowRejected):
            assert row.reason
        if isinstance(row, RecordInput | RowRejected | RowVoided):
            json.dumps(row.raw, allow_nan=False)
            for text in texts(row.raw):
                assert "\x00" not in text
                text.encode()
    return False


def texts(value: Any) -> Iterator[str]:
    """Every string in a JSON value, keys included: what PostgreSQL must be able to store."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from texts(item)


@settings(max_examples=400, deadline=None)
@given(ANY_INPUT)
def test_parse_yields_rows_or_refuses_and_never_crashes(data: bytes) -> None:
    check_rows(data)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(data=ANY_INPUT)
def test_a_fuzzed_refused_file_leaves_every_table_as_it_was(
    engine: Engine, tmp_path: Path, data: bytes
) -> None:
    if not check_rows(data):
        return
    before = row_counts(engine)
    path = tmp_path / "upload.json"
    path.write_bytes(data)
    with pytest.raises(FileRefused):
        import_file(engine, path)
    assert row_counts(engine) == before
