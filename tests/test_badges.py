"""Open Badges 3.0 and CLR 2.0 credentials: our fixtures through the whole import path on
every backend, the 1EdTech validator vectors and spec examples, and fuzzed files."""

import copy
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data_model.evidence_source import raw_evidence_query, read_raw_evidence
from data_model.mastery import read_evidence
from data_model.models import (
    Base,
    Competency,
    CompetencyCategory,
    Framework,
    KeyAlias,
    LearningRecord,
    MasteryScore,
    Person,
    RejectedRow,
    SourceKind,
    UnmappedRecord,
)
from loaders.badges import BadgesImporter, Scale, competency_scales
from loaders.batches import BatchError, map_key, unmapped_keys
from loaders.errors import FileRefused
from loaders.pipeline import run_record_import
from loaders.record_input import ParsedRow, RecordInput, RowRejected, RowSkipped
from tests.conftest import SHARED_DATA, skip_or_fail

FIXTURES = Path(__file__).parent / "fixtures" / "badges"
VECTORS = SHARED_DATA / "badges"
SUBJECT_DID = "did:example:ebfeb1f712ebc6f1c276e12ec21"


@pytest.fixture
def roster(engine: Engine) -> dict[str, int]:
    """A 0-5 framework (proficient at 3) with PY, SQL and Robot Programming; Ada and Bea."""
    with Session(engine) as session, session.begin():
        framework = Framework(code="core", name="Core", scale_min=0, scale_max=5,
                              proficient_level=3)  # fmt: skip
        competencies = [
            Competency(framework=framework, code=code, name=code,
                       category=CompetencyCategory.TECHNICAL)
            for code in ("PY", "SQL", "Robot Programming")
        ]  # fmt: skip
        people = [
            Person(external_id="E1", name="Ada", email="ada@example.com"),
            Person(external_id="E2", name="Bea", email="bea@example.com"),
        ]
        session.add_all([framework, *competencies, *people])
        session.flush()
        return {item.code if isinstance(item, Competency) else item.name: item.id
                for item in (*competencies, *people)}  # fmt: skip


def import_file(engine: Engine, path: Path, importer: BadgesImporter | None = None) -> dict:
    return run_record_import(engine, importer or BadgesImporter(), path).as_json()


def counts(summary: dict) -> tuple[int, ...]:
    """(rows, loaded, duplicates, skipped, unmapped, rejected)"""
    names = ("rows", "loaded", "duplicates", "skipped", "unmapped", "rejected")
    return tuple(summary[name] for name in names)


def stored(engine: Engine) -> dict[str, LearningRecord]:
    with Session(engine) as session:
        return {record.dedupe_key: record for record in session.scalars(select(LearningRecord))}


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table, in key order."""
    with Session(engine) as session:
        return {
            table.name: [
                tuple(row)
                for row in session.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in Base.metadata.sorted_tables
        }


def parse(data: bytes | Path, importer: BadgesImporter | None = None) -> list[ParsedRow]:
    stream = data.open("rb") if isinstance(data, Path) else io.BytesIO(data)
    with stream:
        return list((importer or BadgesImporter()).parse(stream, "badges.json"))


# Our fixtures, through the pipeline


def test_a_credential_becomes_certification_evidence_of_its_competency(
    engine: Engine, roster: dict[str, int]
) -> None:
    summary = import_file(engine, FIXTURES / "single.json")
    assert counts(summary) == (1, 1, 0, 0, 0, 0)
    record = stored(engine)["badge:urn:uuid:pathwise-test-single|PY"]
    assert (record.person_id, record.competency_id) == (roster["Ada"], roster["PY"])
    assert record.activity_id is None
    assert record.source_kind is SourceKind.CERTIFICATION
    assert "signature not verified" in record.notes
    assert "Example Académie" in record.notes
    assert (record.rating, record.passed, record.completed) == (None, True, True)
    assert record.occurred_at == datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    assert record.valid_until == date(2027, 3, 1)
    assert record.raw == json.loads((FIXTURES / "single.json").read_text(encoding="utf-8"))


def test_an_unrated_badge_counts_as_at_least_the_proficient_level(
    engine: Engine, roster: dict[str, int]
) -> None:
    import_file(engine, FIXTURES / "single.json")
    with Session(engine) as session:
        raw = read_raw_evidence(session, raw_evidence_query([roster["Ada"]]))
        mastery = session.get(MasteryScore, (roster["Ada"], roster["PY"]))
    evidence = read_evidence(raw)
    assert evidence[["value", "at_least"]].values.tolist() == [[3.0, True]]
    assert mastery is not None
    assert mastery.evidence_count == 1


def test_importing_a_badge_again_gives_duplicates(engine: Engine, roster: dict[str, int]) -> None:
    import_file(engine, FIXTURES / "list.json")
    again = import_file(engine, FIXTURES / "list.json")
    assert counts(again) == (3, 0, 3, 0, 0, 0)
    assert len(stored(engine)) == 3


def test_a_list_gives_one_record_per_aligned_competency(
    engine: Engine, roster: dict[str, int]
) -> None:
    summary = import_file(engine, FIXTURES / "list.json")
    assert counts(summary) == (3, 3, 0, 0, 0, 0)
    pairs = {(r.person_id, r.competency_id, r.occurred_at) for r in stored(engine).values()}
    assert pairs == {
        (roster["Bea"], roster["PY"], datetime(2025, 3, 1, 9, 30, tzinfo=UTC)),
        (roster["Bea"], roster["SQL"], datetime(2025, 3, 1, 9, 30, tzinfo=UTC)),
        (roster["Ada"], roster["SQL"], datetime(2025, 4, 2, tzinfo=UTC)),
    }


def test_a_clr_gives_the_credentials_it_carries(engine: Engine, roster: dict[str, int]) -> None:
    summary = import_file(engine, FIXTURES / "clr.json")
    assert counts(summary) == (2, 2, 0, 0, 0, 0)
    assert {(r.person_id, r.competency_id) for r in stored(engine).values()} == {
        (roster["Ada"], roster["SQL"]),
        (roster["Bea"], roster["PY"]),
    }
    inner = json.loads((FIXTURES / "clr.json").read_text(encoding="utf-8"))
    first = stored(engine)["badge:urn:uuid:pathwise-test-clr-ada|SQL"]
    assert first.raw == inner["credentialSubject"]["verifiableCredential"][0]


def test_json_lines_are_read_too(engine: Engine, roster: dict[str, int]) -> None:
    assert counts(import_file(engine, FIXTURES / "lines.jsonl")) == (2, 2, 0, 0, 0, 0)


def test_a_badge_without_a_usable_identifier_is_rejected(
    engine: Engine, roster: dict[str, int]
) -> None:
    summary = import_file(engine, FIXTURES / "missing-identifier.json")
    assert counts(summary) == (1, 0, 0, 0, 0, 1)
    with Session(engine) as session:
        rejected = session.scalars(select(RejectedRow)).one()
    assert rejected.field == "credentialSubject.identifier"
    assert rejected.reason.startswith("no usable learner identifier")
    assert rejected.raw["id"] == "urn:uuid:pathwise-test-missing-identifier"


def test_a_badge_for_someone_unknown_waits_in_the_unmapped_queue(
    engine: Engine, roster: dict[str, int]
) -> None:
    summary = import_file(engine, FIXTURES / "unknown-person.json")
    assert counts(summary) == (1, 0, 0, 0, 1, 0)
    with Session(engine) as session:
        held = session.scalars(select(UnmappedRecord)).one()
    assert (held.kind, held.key) == ("person", "nobody@example.com")
    assert held.record["competency"] == "PY"
    assert held.record["source_kind"] == "certification"


def test_a_badge_aligned_to_an_unknown_competency_is_rejected(
    engine: Engine, roster: dict[str, int]
) -> None:
    summary = import_file(engine, FIXTURES / "unknown-competency.json")
    assert counts(summary) == (1, 0, 0, 0, 0, 1)
    assert summary["errors"] == [
        {"row": 1, "field": "competency", "message": "No competency has the code 'RUST'."}
    ]


ACHIEVEMENT = "https://academy.example.org/achievements/single"


def unaligned(credential_id: str, email: str) -> bytes:
    """Our single badge without its alignment, for another credential and learner."""
    credential = json.loads((FIXTURES / "single.json").read_text(encoding="utf-8"))
    credential["id"] = credential_id
    credential["credentialSubject"]["achievement"].pop("alignment")
    credential["credentialSubject"]["identifier"][0]["identityHash"] = email
    return json.dumps(credential).encode()


def test_an_unaligned_badge_waits_under_its_achievement_until_it_is_mapped(
    engine: Engine, roster: dict[str, int], tmp_path: Path
) -> None:
    path = tmp_path / "unaligned.json"
    path.write_bytes(unaligned("urn:uuid:unaligned-ada", "ada@example.com"))
    summary = import_file(engine, path)
    assert counts(summary) == (1, 0, 0, 0, 1, 0)
    with Session(engine) as session:
        held = session.scalars(select(UnmappedRecord)).one()
        queue = unmapped_keys(session)
    assert (held.kind, held.key) == ("achievement", ACHIEVEMENT)
    assert queue[["kind", "key", "records"]].values.tolist() == [["achievement", ACHIEVEMENT, 1]]
    assert stored(engine) == {}

    assert map_key(engine, "achievement", ACHIEVEMENT, "PY", "admin@example.com") == 1
    record = stored(engine)[f"badge:urn:uuid:unaligned-ada|{ACHIEVEMENT}"]
    assert (record.person_id, record.competency_id) == (roster["Ada"], roster["PY"])
    assert (record.rating, record.source_kind) == (None, SourceKind.CERTIFICATION)
    assert record.import_batch_id == summary["batch"]
    with Session(engine) as session:
        assert session.scalars(select(UnmappedRecord)).all() == []
        assert session.get(MasteryScore, (roster["Ada"], roster["PY"])) is not None

    # The mapping is remembered: the next badge for that achievement loads straight away.
    path.write_bytes(unaligned("urn:uuid:unaligned-bea", "bea@example.com"))
    assert counts(import_file(engine, path)) == (1, 1, 0, 0, 0, 0)
    assert stored(engine)[f"badge:urn:uuid:unaligned-bea|{ACHIEVEMENT}"].person_id == roster["Bea"]


def test_an_unaligned_badge_for_someone_unknown_waits_for_both_keys(
    engine: Engine, roster: dict[str, int], tmp_path: Path
) -> None:
    path = tmp_path / "unaligned.json"
    path.write_bytes(unaligned("urn:uuid:unaligned-cy", "cy@example.com"))
    assert counts(import_file(engine, path)) == (1, 0, 0, 0, 1, 0)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        session.add(Person(external_id="E3", name="Cy", email="cy@example.com"))
    assert map_key(engine, "person", "cy@example.com", "E3") == 0
    with Session(engine) as session:
        held = session.scalars(select(UnmappedRecord)).one()
    assert (held.kind, held.key) == ("achievement", ACHIEVEMENT)
    assert map_key(engine, "achievement", ACHIEVEMENT, "SQL") == 1
    (record,) = stored(engine).values()
    assert record.competency_id == roster["SQL"]


def test_an_achievement_maps_only_to_a_competency_that_exists(
    engine: Engine, roster: dict[str, int], tmp_path: Path
) -> None:
    path = tmp_path / "unaligned.json"
    path.write_bytes(unaligned("urn:uuid:unaligned-ada", "ada@example.com"))
    import_file(engine, path)
    with pytest.raises(BatchError, match=r"There is no competency 'RUST' to map to\."):
        map_key(engine, "achievement", ACHIEVEMENT, "RUST")
    with Session(engine) as session:
        assert session.scalars(select(UnmappedRecord)).one().key == ACHIEVEMENT


def test_the_data_page_rates_badge_results_on_the_competency_scale(
    engine: Engine, roster: dict[str, int]
) -> None:
    from ui.imports import apply_upload

    data = (FIXTURES / "rated.json").read_bytes()
    result = apply_upload(engine, "badges", data, "rated.json", "admin@example.com")
    assert result.counts["loaded"] == 3
    ratings = sorted(record.rating for record in stored(engine).values())
    assert ratings == [1.5, 4.5, 5.0]


def test_results_become_ratings_on_the_competency_scale(
    engine: Engine, roster: dict[str, int]
) -> None:
    with Session(engine) as session:
        importer = BadgesImporter(scales=competency_scales(session))
    assert counts(import_file(engine, FIXTURES / "rated.json", importer)) == (3, 3, 0, 0, 0, 0)
    ratings = {key.split(":")[-1]: record.rating for key, record in stored(engine).items()}
    # Exemplary, above the required Proficient: our top; Developing, one step up to the
    # required level: half way to our proficient 3; 90 percent with no pass mark: 0.9 of 5.
    assert ratings == {"pathwise-test-rated-ada|PY": 5.0, "pathwise-test-rated-bea|PY": 1.5,
                       "pathwise-test-rated-sql|SQL": 4.5}  # fmt: skip


def test_without_scales_a_result_leaves_the_badge_unrated(engine: Engine) -> None:
    rows = parse(FIXTURES / "rated.json")
    assert [row.rating for row in rows if isinstance(row, RecordInput)] == [None, None, None]


def with_result(description: dict[str, Any], result: dict[str, Any]) -> bytes:
    credential = json.loads((FIXTURES / "single.json").read_text(encoding="utf-8"))
    subject = credential["credentialSubject"]
    subject["achievement"]["resultDescription"] = [
        {"id": "urn:x:rd", "type": "ResultDescription", "name": "Grade", **description}
    ]
    subject["result"] = [{"type": "Result", "resultDescription": "urn:x:rd", **result}]
    return json.dumps(credential).encode()


GRADES = {"resultType": "LetterGrade", "allowedValue": ["D", "C", "B", "A"], "requiredValue": "C"}
POINTS = {"resultType": "RawScore", "valueMin": 0, "valueMax": "20", "requiredValue": 10}


@pytest.mark.parametrize(
    ("description", "result", "expected"),
    [
        (GRADES, {"value": "B"}, (4.0, True)),
        (GRADES, {"value": "D"}, (0.0, True)),
        (GRADES, {"value": "E"}, (None, True)),
        (POINTS, {"value": 15}, (4.0, True)),
        (POINTS, {"value": "5"}, (1.5, True)),
        ({"resultType": "Status"}, {"status": "Failed"}, (None, False)),
        ({"resultType": "Status"}, {"status": "Completed"}, (None, True)),
    ],
)
def test_how_a_result_reads(
    description: dict[str, Any], result: dict[str, Any], expected: tuple[float | None, bool]
) -> None:
    importer = BadgesImporter(scales={"PY": Scale(0, 3, 5)})
    (row,) = parse(with_result(description, result), importer)
    assert isinstance(row, RecordInput)
    assert (row.rating, row.passed) == expected


def test_a_result_still_in_progress_is_not_evidence_yet() -> None:
    (row,) = parse(with_result({"resultType": "Status"}, {"status": "InProgress"}))
    assert isinstance(row, RowSkipped)
    assert row.reason == "the credential records PY as InProgress"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "is not valid JSON"),
        (b"\xff\xfe{}", "is not UTF-8 text"),
        (b'{"hello": "world"}', "is not an OpenBadgeCredential, a JSON list of them or a Clr"),
        (b"[1, 2, 3]", "is not an OpenBadgeCredential"),
        (b"[]", "is not an OpenBadgeCredential"),
        (b'{"type": "ClrCredential", "credentialSubject": {}}', "without credentialSubject.verif"),
        (b'{"credentialSubject": {}, "id": "\\u0000"}', "NUL character"),
        (b'{"credentialSubject": {}, "id": "\\ud800"}', "unpaired surrogate"),
        (b'{"credentialSubject": {}, "n": 1e400}', "is too large"),
        (b'{"credentialSubject": {}, "n": NaN}', "NaN is not a JSON number"),
        (b'{"credentialSubject": {}, "n": ' + b"9" * 5000 + b"}", "more than 1000 digits"),
        (b'{"credentialSubject": ' + b"[" * 70 + b"]" * 70 + b"}", "nested more than 64"),
        (b"[" * 100_000, "nested too deeply"),
    ],
)
def test_a_refused_file_changes_nothing(
    engine: Engine, roster: dict[str, int], tmp_path: Path, data: bytes, message: str
) -> None:
    path = tmp_path / "refused.json"
    path.write_bytes(data)
    before = snapshot(engine)
    with pytest.raises(FileRefused, match=message):
        import_file(engine, path)
    assert snapshot(engine) == before


# The 1EdTech validator vectors and the specification's examples

ALIGNMENT = ("held", "achievement")
ENDORSEMENT = (
    "skipped",
    "an EndorsementCredential vouches for an issuer or a badge, not a learner",
)
EXPECTED: dict[str, list[tuple[str, str]]] = {
    # Valid credentials: a record for each alignment, else held under their achievement.
    "ob30/complete.json": [("record", "degree")],
    "ob30/complete_v1.json": [("record", "degree")],
    "ob30/credential-status-revoked.json": [ALIGNMENT],
    "ob30/bit-string-list/credential-status-revoked.json": [ALIGNMENT],
    "ob30/bit-string-list/credential-status-revoked-blank-nodes.json": [ALIGNMENT],
    "ob30/sd/derivedcredential.json": [ALIGNMENT],
    "ob30/simple.json": [ALIGNMENT],
    "ob30/simple_v1.json": [ALIGNMENT],
    "ob30/simple-context-alias.json": [ALIGNMENT],
    "ob30/simple-context-version.json": [ALIGNMENT],
    "ob30/simple-did-key-method.json": [ALIGNMENT],
    "ob30/simple-did-web-method.json": [ALIGNMENT],
    "ob30/simple-eddsa-2022.json": [ALIGNMENT],
    "ob30/simple-multiple-proofs.json": [ALIGNMENT],
    # Its subject has no achievement at all, which an AchievementSubject must have.
    "ob30/simple-noproof.json": [("rejected", "credentialSubject.achievement")],
    "ob30/endorsement-valid.json": [ENDORSEMENT],
    "ob30/endorsement-err-schema-status-refresh.json": [ENDORSEMENT],
    # Deliberately invalid: the structural ones are rejected where they are wrong...
    "ob30/simple-err-context.json": [("rejected", "@context")],
    "ob30/simple-err-type.json": [("rejected", "type")],
    "ob30/simple-err-issuer.json": [("rejected", "issuer")],
    "ob30/simple-err-issuer-type.json": [("rejected", "issuer.type")],
    "ob30/simple-err-issuer-parentorg-type.json": [("rejected", "issuer.parentOrg.type")],
    "ob30/simple-err-issuer-otheridentifier-type.json": [
        ("rejected", "issuer.otherIdentifier[1].type")
    ],
    "ob30/simple-err-issued.json": [("rejected", "credentialSubject.achievement")],
    "ob30/simple-err-credential-subject-type.json": [("rejected", "credentialSubject.type")],
    "ob30/simple-err-credential-subject-identifier-type.json": [
        ("rejected", "credentialSubject.identifier[0].type")
    ],
    "ob30/simple-err-credential-subject-profile-type.json": [
        ("rejected", "credentialSubject.source.type")
    ],
    "ob30/simple-err-credential-subject-result-type.json": [
        ("rejected", "credentialSubject.result[1].type")
    ],
    "ob30/simple-err-credential-subject-achievement-result-description-type.json": [
        ("rejected", "credentialSubject.achievement.resultDescription[2].type")
    ],
    "ob30/simple-err-evidence-type.json": [("rejected", "evidence[1].type")],
    # ...while proofs and dates are not checked, so these are held for lacking an alignment.
    "ob30/simple-err-expired.json": [ALIGNMENT],
    "ob30/simple-err-proof-method.json": [ALIGNMENT],
    "ob30/simple-err-proof-method-no-scheme.json": [ALIGNMENT],
    "ob30/simple-err-proof-method-unknown-did-method.json": [ALIGNMENT],
    "ob30/simple-err-proof-method-unknown-scheme.json": [ALIGNMENT],
    "ob30/simple-err-proof-value.json": [ALIGNMENT],
    "clr20/simple.json": [ALIGNMENT],
    "clr20/simple-noproof.json": [ALIGNMENT],
    "clr20/simple_old_safesigned.json": [ALIGNMENT],
    "clr20/simple_v1.json": [ALIGNMENT] * 6,
    "clr20/complex.json": [ALIGNMENT] * 6,
    "ob3-spec-examples/basicOpenBadgeCredential_0.json": [ALIGNMENT],
    "ob3-spec-examples/fullOpenBadge_0.json": [("record", "degree")],
    "ob3-spec-examples/achievementAlignmentCase_0.json": [
        ("record", "74f5bb7d-d7cc-11e8-824f-0242ac160002")
    ],
    "ob3-spec-examples/achievementAlignmentCe_0.json": [
        ("record", "ce-cf4dee18-7cea-443a-b920-158a0762c6bf")
    ],
    "ob3-spec-examples/skillAssertionCase_0.json": [("record", "Robot Programming")],
    "ob3-spec-examples/skillAssertionCtdl_0.json": [
        ("record", "ce-6369c51f-4d86-4592-a761-8b32ae70a045")
    ],
}
NOT_VERIFIED = [
    "ob30/simple-err-expired.json",
    "ob30/simple-err-proof-method.json",
    "ob30/simple-err-proof-method-no-scheme.json",
    "ob30/simple-err-proof-method-unknown-did-method.json",
    "ob30/simple-err-proof-method-unknown-scheme.json",
    "ob30/simple-err-proof-value.json",
]


def vector(name: str) -> Path:
    for folder in ("1edtech-validator-vectors", "."):
        if (path := VECTORS / folder / name).is_file():
            return path
    raise FileNotFoundError(name)


def outcome(row: ParsedRow) -> tuple[str, str]:
    if isinstance(row, RecordInput):
        assert row.source_kind is SourceKind.CERTIFICATION
        assert "signature not verified" in row.notes
        if row.competency is None:
            assert row.achievement
            return ("held", "achievement")
        return ("record", row.competency)
    if isinstance(row, RowRejected):
        return ("rejected", row.field or "")
    assert isinstance(row, RowSkipped)
    return ("skipped", row.reason)


@pytest.fixture
def vectors() -> Path:
    if not VECTORS.is_dir():
        skip_or_fail(f"{VECTORS} is absent, so the real Open Badges vectors cannot be read")
    return VECTORS


def test_every_vector_is_read_as_expected(vectors: Path) -> None:
    found = {
        str(path.relative_to(vectors)).removeprefix("1edtech-validator-vectors/")
        for path in vectors.rglob("*.json")
    }
    assert found == set(EXPECTED), "a vector was added or removed: say what it should give"
    for name, expected in EXPECTED.items():
        rows = parse(vector(name))
        assert [outcome(row) for row in rows] == expected, name
        if expected == [ALIGNMENT] * len(expected):
            assert all(row.source_id.endswith(f"|{row.achievement}") for row in rows), name


@pytest.mark.parametrize("name", NOT_VERIFIED)
def test_a_vector_wrong_only_in_what_we_do_not_verify_is_taken_once_aligned(
    vectors: Path, name: str
) -> None:
    credential = json.loads(vector(name).read_text(encoding="utf-8"))
    credential["credentialSubject"]["achievement"]["alignment"] = [
        {"type": ["Alignment"], "targetName": "Teamwork", "targetUrl": "https://example.com/t"}
    ]
    (row,) = parse(json.dumps(credential).encode())
    assert isinstance(row, RecordInput)
    assert (row.person, row.competency) == (SUBJECT_DID, "Teamwork")
    if name.endswith("expired.json"):
        assert row.valid_until == date(2010, 1, 1)


def test_the_skill_assertion_maps_its_alignment_to_a_competency_record(
    vectors: Path, engine: Engine, roster: dict[str, int]
) -> None:
    with Session(engine) as session, session.begin():
        session.add(KeyAlias(kind="person", key=SUBJECT_DID, target_id=roster["Ada"],
                             mapped_by="test"))  # fmt: skip
    path = vector("ob3-spec-examples/skillAssertionCase_0.json")
    assert counts(import_file(engine, path)) == (1, 1, 0, 0, 0, 0)
    (record,) = stored(engine).values()
    assert (record.person_id, record.competency_id) == (roster["Ada"], roster["Robot Programming"])
    assert record.dedupe_key == "badge:http://1edtech.edu/credentials/3732|Robot Programming"
    assert record.occurred_at == datetime(2022, 7, 1, tzinfo=UTC)
    assert record.raw == json.loads(path.read_text(encoding="utf-8"))


def test_a_clr_vector_goes_through_the_pipeline(
    vectors: Path, engine: Engine, roster: dict[str, int]
) -> None:
    summary = import_file(engine, vector("clr20/complex.json"))
    assert counts(summary) == (6, 0, 0, 0, 6, 0)
    with Session(engine) as session:
        held = session.scalars(select(UnmappedRecord)).all()
    assert {item.kind for item in held} == {"person"}
    assert all(item.record["achievement"] for item in held)


# Fuzzing

BASE = json.loads((FIXTURES / "single.json").read_text(encoding="utf-8"))
PATHS: list[tuple[Any, ...]] = [
    ("@context",), ("@context", 0), ("type",), ("id",), ("issuer",), ("issuer", "type"),
    ("issuer", "name"), ("validFrom",), ("validUntil",), ("credentialSubject",),
    ("credentialSubject", "type"), ("credentialSubject", "id"), ("credentialSubject", "identifier"),
    ("credentialSubject", "identifier", 0), ("credentialSubject", "identifier", 0, "hashed"),
    ("credentialSubject", "identifier", 0, "identityHash"), ("credentialSubject", "achievement"),
    ("credentialSubject", "achievement", "name"), ("credentialSubject", "achievement", "alignment"),
    ("credentialSubject", "achievement", "alignment", 0, "targetCode"),
    ("credentialSubject", "achievement", "resultDescription"), ("credentialSubject", "result"),
]  # fmt: skip
ODD_TEXT = st.text(max_size=12) | st.sampled_from(
    ["", " ", "\x00", "\ud800", "\udfff", "\u202e", "\ufeff", "\U0001d518", "e\u0301",
     "eyJ.eyJ.sig", "2025-02-30T00:00:00Z", "0001-01-01T00:00:00+23:59", "2025-03-01",
     "9999-12-31T23:59:59-23:59", "sha256$abc", "x" * 3000, "ClrCredential",
     "EndorsementCredential"]
)  # fmt: skip
HUGE = st.sampled_from([10**400, -(10**300), 2**64, 1e308, -1e-320, 0, -0.0])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | HUGE | st.floats(allow_nan=False,
                                                                 allow_infinity=False) | ODD_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(ODD_TEXT, children,
                                                                      max_size=4),
    max_leaves=12,
)  # fmt: skip
RAW_NUMBERS = st.sampled_from([b"1e400", b"-1e999", b"9" * 5000, b"NaN", b"-Infinity", b"1" * 400])


def _set(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    target = document
    for step in path[:-1]:
        try:
            target = target[step]
        except (KeyError, IndexError, TypeError):
            return document
    key = path[-1]
    if isinstance(target, dict) or (
        isinstance(target, list) and isinstance(key, int) and key < len(target)
    ):
        target[key] = value
    return document


@st.composite
def mutated_credential(draw: st.DrawFn) -> bytes:
    document = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        _set(document, draw(st.sampled_from(PATHS)), draw(JSON_VALUES))
    shape = draw(st.sampled_from(["one", "list", "clr", "lines"]))
    if shape == "list":
        return json.dumps([document, BASE]).encode()
    if shape == "clr":
        clr = {"type": ["VerifiableCredential", "ClrCredential"],
               "credentialSubject": {"verifiableCredential": [BASE, document]}}  # fmt: skip
        return json.dumps(clr).encode()
    if shape == "lines":
        return (json.dumps(BASE) + "\n" + json.dumps(document) + "\n").encode()
    return json.dumps(document, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")


@st.composite
def truncated(draw: st.DrawFn) -> bytes:
    text = (
        FIXTURES / draw(st.sampled_from(["single.json", "clr.json", "rated.json"]))
    ).read_bytes()
    return text[: draw(st.integers(0, len(text)))]


@st.composite
def odd_number(draw: st.DrawFn) -> bytes:
    text = (FIXTURES / "single.json").read_bytes()
    return text.replace(b'"2025-03-01T09:30:00Z"', draw(RAW_NUMBERS))


FUZZED = st.one_of(st.binary(max_size=300), truncated(), mutated_credential(), odd_number())


def assert_rows_or_refusal(data: bytes) -> list[ParsedRow] | None:
    try:
        rows = parse(data)
    except FileRefused as error:
        message = str(error)
        assert message.endswith(".")
        assert "\n" not in message
        return None
    assert all(isinstance(row, ParsedRow) for row in rows)
    return rows


@settings(max_examples=300, deadline=None)
@given(data=FUZZED)
def test_parsing_anything_gives_rows_or_a_refusal(data: bytes) -> None:
    assert_rows_or_refusal(data)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=FUZZED)
def test_importing_anything_gives_a_batch_or_a_refusal_that_changes_nothing(
    engine: Engine, roster: dict[str, int], tmp_path: Path, data: bytes
) -> None:
    path = tmp_path / "fuzz.json"
    path.write_bytes(data)
    before = snapshot(engine)
    try:
        summary = import_file(engine, path)
    except FileRefused:
        assert snapshot(engine) == before
        return
    assert summary["rows"] == sum(counts(summary)[1:])
