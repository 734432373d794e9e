"""`python -m loaders` as an operator uses it: last-line JSON, exit codes, batches and undo.

On SQLite only: the importers behind it are tested on both backends elsewhere."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

FIXTURES = Path(__file__).parent / "fixtures"


def loaders(url: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loaders", "--db", url, *arguments],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


@pytest.fixture
def url(sqlite_engine: Engine) -> str:
    url = sqlite_engine.url.render_as_string(hide_password=False)
    for command, name in (("framework", "framework.yaml"), ("roster", "roster.csv"),
                          ("catalog", "catalogue.csv")):  # fmt: skip
        result = loaders(url, command, str(FIXTURES / "imports" / name))
        assert result.returncode == 0, result.stderr
    return url


def last_json(result: subprocess.CompletedProcess[str]) -> dict:
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_an_import_ends_with_one_json_line_and_exits_zero(url: str) -> None:
    result = loaders(url, "records", str(FIXTURES / "imports" / "records.csv"))
    assert result.returncode == 0, result.stderr
    summary = last_json(result)
    assert {key: summary[key] for key in ("kind", "rows", "loaded", "duplicates", "unmapped",
                                          "rejected")} == {
        "kind": "records", "rows": 10, "loaded": 4, "duplicates": 1, "unmapped": 2, "rejected": 3,
    }  # fmt: skip
    assert isinstance(summary["batch"], int)
    assert [error["row"] for error in summary["errors"]] == [8, 9, 10]


def test_a_refused_file_exits_two_and_writes_nothing(url: str) -> None:
    before = loaders(url, "batches", "--json")
    result = loaders(url, "records", str(FIXTURES / "imports" / "records_missing_column.csv"))
    assert result.returncode == 2
    assert result.stderr.startswith("Refused: records_missing_column.csv is missing")
    assert last_json(result)["batch"] is None
    assert loaders(url, "batches", "--json").stdout == before.stdout


def test_batches_undo_unmapped_and_map(url: str) -> None:
    batch = last_json(loaders(url, "records", str(FIXTURES / "imports" / "records.csv")))["batch"]
    listed = json.loads(loaders(url, "batches", "--json").stdout)
    assert listed[0]["id"] == batch
    assert listed[0]["rows_loaded"] == 4
    waiting = json.loads(loaders(url, "unmapped", "--json").stdout)
    assert {item["key"] for item in waiting} == {"NOBODY", "UNKNOWN-COURSE"}
    mapped = loaders(url, "map", "person", "NOBODY", "P3")
    assert json.loads(mapped.stdout) == {"kind": "person", "key": "NOBODY", "applied": 1}
    rejected = loaders(url, "rejected", str(batch))
    assert rejected.stdout.splitlines()[0].startswith("row,field,reason,")
    undone = loaders(url, "undo", str(batch))
    assert json.loads(undone.stdout)["records_removed"] == 5
    again = loaders(url, "undo", str(batch))
    assert again.returncode == 1
    assert again.stderr.strip() == f"Batch {batch} was already undone."


def test_a_saved_column_mapping_is_used_next_time(url: str) -> None:
    export = str(FIXTURES / "imports" / "lms_export.csv")
    first = loaders(url, "records", export, "--map",
                    "person=who,activity=what,occurred_at=when,score=mark,max_score==100",
                    "--save-map", "lms")  # fmt: skip
    assert last_json(first)["loaded"] == 2
    second = loaders(url, "records", export, "--use-map", "lms")
    assert last_json(second)["duplicates"] == 2


def test_an_unaligned_badge_is_held_until_its_achievement_is_mapped(
    url: str, tmp_path: Path
) -> None:
    credential = json.loads((FIXTURES / "badges" / "single.json").read_text(encoding="utf-8"))
    credential["credentialSubject"]["achievement"].pop("alignment")
    credential["credentialSubject"]["identifier"][0]["identityHash"] = "pat@example.com"
    badge = tmp_path / "badge.json"
    badge.write_text(json.dumps(credential))
    assert last_json(loaders(url, "badges", str(badge)))["unmapped"] == 1
    achievement = credential["credentialSubject"]["achievement"]["id"]
    waiting = json.loads(loaders(url, "unmapped", "--json").stdout)
    assert [(item["kind"], item["key"]) for item in waiting] == [("achievement", achievement)]
    mapped = loaders(url, "map", "achievement", achievement, "SQL")
    assert json.loads(mapped.stdout) == {"kind": "achievement", "key": achievement, "applied": 1}


def test_an_lrs_page_with_more_statements_is_reported(url: str) -> None:
    result = loaders(url, "xapi", str(FIXTURES / "xapi" / "lrs_response.json"))
    assert result.returncode == 0, result.stderr
    assert last_json(result)["more"] == "/xapi/statements?more=2b6f0c1d"
    assert "the rest are at /xapi/statements?more=2b6f0c1d" in result.stderr
