"""Framework importers: native YAML, CSV and progression Markdown, through `import_framework`.

Each format is checked on our own small fixtures (tests/fixtures/frameworks) and the Markdown
one also on every real Monzo progression file in ../shared, when it is there. Fuzzing checks
the promise every parser makes: a valid spec or FileRefused, and a refused file writes nothing.
"""

import io
import math
import re
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.orm import Session

from data_model.models import (
    AuditEntry,
    Base,
    BatchStatus,
    Competency,
    Framework,
    ImportBatch,
    JobFamily,
    LearningRecord,
    PathwayLevel,
    Person,
    SourceKind,
)
from loaders.errors import FileRefused
from loaders.framework_csv import parse_framework_csv
from loaders.framework_import import MAX_FRAMEWORK_BYTES, import_framework, read_framework_file
from loaders.framework_markdown import parse_progression_markdown
from loaders.framework_yaml import (
    CompetencySpec,
    FrameworkSpec,
    JobFamilySpec,
    LevelSpec,
    RequirementSpec,
    ScaleSpec,
    parse_framework_yaml,
)
from tests.conftest import PROJECT_ROOT, SHARED_DATA, skip_or_fail

FIXTURES = Path(__file__).parent / "fixtures" / "frameworks"
SMALL = FIXTURES / "small.yaml"
CSV_FOLDER = FIXTURES / "csv"
PROGRESSION = FIXTURES / "progression.md"
DEMO = PROJECT_ROOT / "loaders" / "demo" / "framework.yaml"
MONZO = SHARED_DATA / "frameworks" / "monzo-progression" / "frameworks"
MONZO_PLAIN = {"design/product-design.md", "design/user-research.md", "design/visual-design.md"}
MONZO_UNPARSABLE = {"people.md"}


# --- helpers -------------------------------------------------------------------------------


def database_rows(engine: Engine) -> dict[str, list[str]]:
    """Every row of every table, to prove that a refused import wrote nothing."""
    present = set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        return {
            table.name: sorted(repr(tuple(row)) for row in connection.execute(select(table)))
            for table in Base.metadata.sorted_tables
            if table.name in present
        }


def canonical(spec: FrameworkSpec) -> FrameworkSpec:
    """The same framework with requirements spelled out and everything in code/rank order."""
    families = [
        family.model_copy(
            update={
                "levels": [
                    level.model_copy(update={"requirements": level.requirement_specs()})
                    for level in sorted(family.levels, key=lambda level: level.rank)
                ]
            }
        )
        for family in sorted(spec.job_families, key=lambda family: family.code)
    ]
    competencies = sorted(spec.competencies, key=lambda competency: competency.code)
    return spec.model_copy(update={"competencies": competencies, "job_families": families})


def stored_spec(engine: Engine, code: str) -> FrameworkSpec:
    """The framework as the database holds it, read back into the spec it came from."""
    with Session(engine) as session:
        framework = session.scalar(select(Framework).where(Framework.code == code))
        assert framework is not None
        return canonical(
            FrameworkSpec(
                code=framework.code,
                name=framework.name,
                description=framework.description,
                scale=ScaleSpec(
                    min=framework.scale_min,
                    max=framework.scale_max,
                    proficient=framework.proficient_level,
                    labels={int(level): label for level, label in framework.scale_labels.items()},
                ),
                mastery=framework.mastery_settings,
                competencies=[
                    CompetencySpec(
                        code=competency.code,
                        name=competency.name,
                        category=competency.category,
                        description=competency.description,
                        levels={d.level: d.description for d in competency.descriptors},
                        mastery=competency.mastery_settings,
                    )
                    for competency in framework.competencies
                ],
                job_families=[
                    JobFamilySpec(
                        code=family.code,
                        name=family.name,
                        description=family.description,
                        levels=[
                            LevelSpec(
                                rank=level.rank,
                                title=level.title,
                                description=level.description,
                                requirements={
                                    requirement.competency.code: RequirementSpec(
                                        level=requirement.required_level,
                                        weight=requirement.weight,
                                        critical=requirement.critical,
                                    )
                                    for requirement in level.requirements
                                },
                            )
                            for level in family.levels
                        ],
                    )
                    for family in framework.job_families
                ],
            )
        )


def write_yaml(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def refused(engine: Engine, path: Path, **options: Any) -> str:
    """Import a file that must be refused; returns the message after checking nothing changed."""
    before = database_rows(engine)
    with pytest.raises(FileRefused) as refusal:
        import_framework(engine, path, **options)
    assert database_rows(engine) == before
    return str(refusal.value)


def monzo_file(name: str) -> Path:
    if not MONZO.is_dir():
        skip_or_fail(f"{MONZO} is absent, so the real Monzo frameworks cannot be read")
    return MONZO / name


def _monzo_names() -> list[str]:
    if not MONZO.is_dir():
        return ["(../shared is absent)"]
    return sorted(path.relative_to(MONZO).as_posix() for path in MONZO.rglob("*.md"))


def slug(text: str) -> str:
    return re.sub(r"[\W_]+", "-", text.lower()).strip("-")


def front_matter(path: Path) -> dict[str, Any]:
    match = re.match(r"---\n(.*?)\n---(\n|$)", path.read_text("utf-8"), flags=re.DOTALL)
    assert match
    document: dict[str, Any] = yaml.safe_load(match[1])
    return document


# --- native YAML ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", [SMALL, DEMO], ids=["small", "demo"])
def test_native_yaml_round_trips_through_the_database(engine: Engine, path: Path) -> None:
    spec = parse_framework_yaml(path.read_text("utf-8"), path.name)
    assert read_framework_file(path) == spec
    assert database_rows(engine)["frameworks"] == []
    result = import_framework(engine, path, imported_by="admin@example.com")
    assert stored_spec(engine, spec.code) == canonical(spec)
    assert result.changes.created
    assert result.changes.competencies_added == tuple(c.code for c in spec.competencies)
    printed = result.as_json()
    assert (printed["batch"], printed["kind"], printed["framework"]) == (
        result.batch_id, "framework", spec.code
    )  # fmt: skip
    assert printed["summary"].startswith(f"Framework {spec.code} created. Competencies: ")
    with Session(engine) as session:
        batch = session.get(ImportBatch, result.batch_id)
        assert batch is not None
        assert (batch.kind, batch.file_name, batch.status) == ("framework", path.name,
                                                               BatchStatus.APPLIED)  # fmt: skip
        assert (batch.rows_total, batch.rows_loaded) == (len(spec.competencies),) * 2
        assert batch.imported_by == "admin@example.com"
        assert len(batch.sha256) == 64
        audit = session.scalars(select(AuditEntry)).one()
        assert (audit.action, audit.actor, audit.target_id) == (
            "framework.import", "admin@example.com", str(result.batch_id)
        )  # fmt: skip
        assert audit.details == result.changes.as_dict()


@pytest.mark.parametrize(
    ("path", "code"),
    [(SMALL, None), (CSV_FOLDER, None), (PROGRESSION, None), (PROGRESSION, "acme-progression")],
    ids=["yaml", "csv", "markdown", "shared-markdown"],
)
def test_importing_the_same_file_again_changes_nothing(
    engine: Engine, path: Path, code: str | None
) -> None:
    import_framework(engine, path, framework_code=code)
    before = database_rows(engine)
    again = import_framework(engine, path, framework_code=code)
    assert not again.changes.changed
    assert again.changes.summary().startswith(f"Framework {again.changes.framework} unchanged")
    assert not any(value for key, value in again.changes.as_dict().items()
                   if key not in ("framework", "competencies_unchanged"))  # fmt: skip
    after = database_rows(engine)
    for table in ("frameworks", "competencies", "level_descriptors", "job_families",
                  "pathway_levels", "level_requirements"):  # fmt: skip
        assert after[table] == before[table], table
    with Session(engine) as session:
        batch = session.get(ImportBatch, again.batch_id)
        assert batch is not None
        assert batch.rows_loaded == 0


def test_an_update_keeps_ids_and_reports_exactly_what_changed(
    engine: Engine, tmp_path: Path
) -> None:
    import_framework(engine, SMALL)
    with Session(engine) as session, session.begin():
        ids_before = dict(session.execute(select(Competency.code, Competency.id)).all())
        analyst = session.scalars(select(JobFamily)).one()
        family_id = analyst.id
        level_2_id = next(level.id for level in analyst.levels if level.rank == 2)
        holder = Person(external_id="p-1", name="Pat Lee", email="pat@example.com",
                        job_family_id=family_id, title_level=3)  # fmt: skip
        session.add(holder)
        session.flush()
        session.add(
            LearningRecord(dedupe_key="r-1", person_id=holder.id, competency_id=ids_before["INT"],
                           occurred_at=datetime(2025, 1, 6, tzinfo=UTC), rating=2.0,
                           source_kind=SourceKind.SELF_REPORT)
        )  # fmt: skip
    document = yaml.safe_load(SMALL.read_text("utf-8"))
    document["name"] = "Acme skills framework"
    sql, communication, _integrity = document["competencies"]
    sql["name"] = "SQL and modelling"
    sql["levels"][4] = "Designs the warehouse."
    python = {"code": "PY", "name": "Python", "category": "technical", "levels": {1: "Runs it."}}
    document["competencies"] = [sql, communication, python]
    level_2 = document["job_families"][0]["levels"][1]
    level_2["title"] = "Analyst II"
    level_2["requirements"] = {"SQL": 3, "COMM": {"level": 2, "weight": 2, "critical": True},
                               "PY": 1}  # fmt: skip
    document["job_families"][0]["levels"] = [level_2]
    document["job_families"].append(
        {"code": "ENG", "name": "Engineers",
         "levels": [{"rank": 1, "title": "Engineer", "requirements": {"PY": 2}}]}
    )  # fmt: skip
    updated = write_yaml(tmp_path / "small.yaml", document)

    result = import_framework(engine, updated)

    assert result.changes.as_dict() == {
        "framework": "acme",
        "created": False,
        "settings_changed": ["name"],
        "competencies_added": ["PY"],
        "competencies_updated": ["SQL (name, descriptors for level 4)"],
        "competencies_unchanged": ["COMM"],
        "competencies_kept": ["INT"],
        "job_families_added": ["ENG"],
        "job_families_updated": [],
        "job_families_kept": [],
        "levels_added": ["ENG level 1 (Engineer)"],
        "levels_updated": ["ANALYST level 2 (title)"],
        "levels_removed": ["ANALYST level 1"],
        "levels_kept": ["ANALYST level 3 (1 person holds it)"],
        "requirements_added": ["ANALYST level 2: PY at 1", "ENG level 1: PY at 2"],
        "requirements_changed": [
            "ANALYST level 2: SQL from 2 to 3",
            "ANALYST level 2: COMM from 2 (weight 2) to 2 (weight 2, critical)",
        ],
        "requirements_removed": ["ANALYST level 2: INT"],
    }
    summary = result.changes.summary()
    assert summary.startswith("Framework acme updated. Settings changed: name. Competencies: ")
    assert "1 kept, not in file (INT)" in summary
    assert "\n" not in summary
    with Session(engine) as session:
        ids_after = dict(session.execute(select(Competency.code, Competency.id)).all())
        assert {code: ids_after[code] for code in ids_before} == ids_before
        person = session.scalars(select(Person)).one()
        assert person.job_family_id == family_id
        assert session.scalars(select(LearningRecord)).one().competency_id == ids_before["INT"]
        levels = select(PathwayLevel.rank, PathwayLevel.id).where(
            PathwayLevel.job_family_id == family_id
        )
        ranks = dict(session.execute(levels).all())
        assert sorted(ranks) == [2, 3]
        assert ranks[2] == level_2_id
        batch = session.get(ImportBatch, result.batch_id)
        assert batch is not None
        assert (batch.rows_total, batch.rows_loaded) == (3, 2)

    again = import_framework(engine, updated)
    assert not again.changes.changed
    assert again.changes.competencies_kept == ("INT",)
    assert again.changes.levels_kept == ("ANALYST level 3 (1 person holds it)",)


def test_a_narrower_scale_that_would_strand_kept_requirements_is_refused(
    engine: Engine, tmp_path: Path
) -> None:
    import_framework(engine, SMALL)
    document = yaml.safe_load(SMALL.read_text("utf-8"))
    document["scale"] = {"min": 0, "max": 2, "proficient": 1}
    for competency in document["competencies"]:
        competency["levels"] = {k: v for k, v in competency["levels"].items() if k <= 2}
    document["job_families"] = []
    message = refused(engine, write_yaml(tmp_path / "narrow.yaml", document))
    assert message == (
        "narrow.yaml cannot be applied: the scale 0 to 2 would leave ANALYST level 3's "
        "requirement of COMM at 3, which the file does not mention, off the scale."
    )


def test_a_job_family_of_another_framework_is_refused(engine: Engine, tmp_path: Path) -> None:
    import_framework(engine, SMALL)
    document = yaml.safe_load(SMALL.read_text("utf-8"))
    document["code"] = "other"
    message = refused(engine, write_yaml(tmp_path / "other.yaml", document))
    assert message == (
        "other.yaml cannot be applied: the job family 'ANALYST' already belongs to the "
        "framework 'acme', and job family codes are unique across frameworks."
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('code: "a\\0b"\nname: x\ncompetencies: []',
         "code: text must not contain NUL"),
        ('code: a\nname: "\\ud800"\ncompetencies: []', "name: text must not contain "
                                                       "unpaired surrogate"),
        ("code: a\nname: b\nwhen: 2020-13-45\ncompetencies: []", "is not valid YAML: month must"),
        ("[" * 5000, "is not valid YAML: maximum recursion depth exceeded"),
        ("code: a\nname: b\nscale: {max: 99999999999999999999}\ncompetencies: []",
         "scale.max: Input should be less than or equal to 100"),
        ("code: a\nname: b\ncompetencies: []\njob_families: [{code: F, name: F, levels: "
         "[{rank: 99999999999999, title: T}]}]",
         "job_families.0.levels.0.rank: Input should be less than or equal to 2147483647"),
        ("code: a\nname: b\ncompetencies: [{code: C, name: C, category: technical}]\n"
         "job_families: [{code: F, name: F, levels: [{rank: 1, title: T, requirements: "
         "{C: {level: 1, weight: .inf}}}]}]", "Input should be a finite number"),
        ("code: a\nname: b\nmastery: {method: magic}\ncompetencies: []",
         "mastery settings are not valid: method: Unknown method 'magic'"),
        ("code: a\nname: b\nmastery: {half_life_days: .inf}\ncompetencies: []",
         "mastery settings are not valid: Out of range float values are not JSON compliant"),
    ],
    ids=["nul", "surrogate", "impossible-date", "deep-nesting",
         "huge-scale", "huge-rank", "infinite-weight", "unknown-method", "infinite-half-life"],
)  # fmt: skip
def test_native_yaml_refuses_what_no_database_could_store(text: str, expected: str) -> None:
    with pytest.raises(FileRefused) as refusal:
        parse_framework_yaml(text, "x.yaml")
    assert expected in str(refusal.value)
    assert str(refusal.value).startswith("x.yaml ")


# --- CSV -----------------------------------------------------------------------------------


def test_a_csv_folder_imports(engine: Engine) -> None:
    result = import_framework(engine, CSV_FOLDER)
    spec = stored_spec(engine, "acme-csv")
    assert (spec.name, spec.description) == ("Acme (CSV)", "Competencies kept in a spreadsheet.")
    assert spec.scale == ScaleSpec(min=0, max=4, proficient=2, labels={0: "Not yet", 4: "Expert"})
    competencies = {competency.code: competency for competency in spec.competencies}
    assert competencies["SQL"].description == "Query, join and shape data."
    assert competencies["SQL"].category == "technical"
    assert competencies["COMM"].description == "Explains clearly;\nlistens well."
    assert competencies["INT"].levels == {2: "Keeps promises.", 4: "Sets the standard."}
    analyst, engineers = spec.job_families
    assert (analyst.name, [level.title for level in analyst.levels]) == (
        "Analysts", ["Analyst", "Senior analyst"]
    )  # fmt: skip
    assert analyst.levels[1].requirements == {
        "SQL": RequirementSpec(level=2),
        "COMM": RequirementSpec(level=2, weight=2),
        "INT": RequirementSpec(level=2.5, critical=True),
    }
    assert (engineers.code, engineers.levels[0].title, engineers.levels[0].requirements) == (
        "ENG", "Engineer", {}
    )  # fmt: skip
    with Session(engine) as session:
        batch = session.get(ImportBatch, result.batch_id)
        assert batch is not None
        assert (batch.file_name, batch.rows_total, batch.rows_loaded) == ("csv", 3, 3)


def test_a_zip_with_crlf_files_in_a_subfolder_is_the_same_framework(
    engine: Engine, tmp_path: Path
) -> None:
    import_framework(engine, CSV_FOLDER)
    archive = tmp_path / "acme.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(CSV_FOLDER.iterdir()):
            text = path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            zipped.writestr(f"acme/{path.name}", text)
        zipped.writestr("__MACOSX/acme/._competencies.csv", b"\x00\x05\x16\x07")
        zipped.writestr("acme/README.txt", "Not a CSV, so not read.")
    result = import_framework(engine, archive)
    assert not result.changes.changed


def test_a_single_csv_is_the_competencies_and_needs_a_framework_code(
    engine: Engine,
) -> None:
    single = FIXTURES / "semicolons.csv"
    assert refused(engine, single) == (
        "semicolons.csv names no framework: add framework.csv with a 'code' row, or give the "
        "framework code when importing."
    )
    import_framework(engine, single, framework_code="semi")
    spec = stored_spec(engine, "semi")
    assert (spec.name, spec.scale) == ("semi", ScaleSpec(min=0, max=2, proficient=1))
    assert spec.competencies[0].levels == {1: "Reads queries.", 2: "Writes joins."}


def test_csv_keeps_the_mastery_settings_it_cannot_state(engine: Engine) -> None:
    import_framework(engine, SMALL)
    result = import_framework(engine, CSV_FOLDER, framework_code="acme")
    assert "mastery_settings" not in result.changes.settings_changed
    assert all("mastery" not in item for item in result.changes.competencies_updated)
    spec = stored_spec(engine, "acme")
    assert spec.mastery == {"method": "evidence", "half_life_days": 300}
    assert next(c for c in spec.competencies if c.code == "INT").mastery == {"half_life_days": 700}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing-column.csv", "missing-column.csv row 1 lacks the column category (it names "
                               "code, name, description, level_1)."),
        ("unknown-category.csv", "unknown-category.csv row 3, column category: 'Soft skills' is "
                                 "not a category; use one of technical, professional, values."),
        ("latin-1.csv", "latin-1.csv is not UTF-8 text: row 2 holds the byte 0xe9, which UTF-8 "
                        "cannot decode; save it as 'CSV UTF-8' and import it again."),
        ("empty.csv", "empty.csv is empty: row 1 must name the columns code, name, category."),
    ],
)  # fmt: skip
def test_a_bad_csv_is_refused_in_one_sentence(engine: Engine, name: str, message: str) -> None:
    import_framework(engine, SMALL)
    assert refused(engine, FIXTURES / name, framework_code="acme") == message


HEADER = "job_family_code,job_family_name,rank,title,competency_code,required_level,critical\n"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("A,Alpha,1,One,NOPE,1,\n", "row 2, column competency_code: no competency in "
                                    "competencies.csv has the code 'NOPE'."),
        ("A,Alpha,1,One,SQL,7,\n", "row 2, column required_level: 7 is off the scale 0 to 4."),
        ("A,Alpha,one,One,SQL,1,\n", "row 2, column rank: 'one' is not a whole number."),
        ("A,Alpha,1,One,SQL,1,\nA,Beta,2,Two,SQL,2,\n",
         "row 3, column job_family_name: 'Beta' differs from 'Alpha' given on an earlier row."),
        ("A,Alpha,1,One,SQL,1,\nA,,1,,SQL,2,\n",
         "row 3, column competency_code: A level 1 already requires SQL on an earlier row."),
        ("A,Alpha,1,,SQL,1,\n", "gives no title for A level 1."),
        ("A,Alpha,1,One,SQL,1,maybe\n", "row 2, column critical: 'maybe' is not yes or no."),
        ("A,Alpha,1,One,SQL,1,,extra\n", "row 2, column 8: holds a value but row 1 names no "
                                         "column."),
    ],
    ids=["unknown-competency", "off-scale", "bad-rank", "two-names", "twice", "no-title",
         "bad-flag", "extra-cell"],
)  # fmt: skip
def test_bad_requirements_are_refused_naming_row_and_column(
    engine: Engine, tmp_path: Path, rows: str, message: str
) -> None:
    folder = tmp_path / "fw"
    folder.mkdir()
    for path in CSV_FOLDER.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "requirements.csv").write_text(HEADER + rows, "utf-8")
    assert refused(engine, folder) == f"fw/requirements.csv {message}"


def test_unreadable_inputs_are_refused(engine: Engine, tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(MAX_FRAMEWORK_BYTES + 1)
    assert refused(engine, big) == "big.yaml is 20.0 MB, over the 20 MB limit for a framework."
    (tmp_path / "bad.zip").write_bytes(b"PK not really")
    assert refused(engine, tmp_path / "bad.zip") == (
        "bad.zip is not a readable .zip archive (File is not a zip file)."
    )
    (tmp_path / "latin.md").write_bytes(b"---\ntitle: Caf\xe9\n---\n")
    assert refused(engine, tmp_path / "latin.md") == (
        "latin.md is not UTF-8 text (byte 14, on line 2, cannot be decoded)."
    )
    (tmp_path / "notes.txt").write_text("hello", "utf-8")
    assert refused(engine, tmp_path / "notes.txt").startswith(
        "notes.txt is not a framework file Pathwise reads"
    )
    (tmp_path / "empty").mkdir()
    assert refused(engine, tmp_path / "empty") == (
        "empty holds no CSV files; a framework needs competencies.csv."
    )
    assert refused(engine, tmp_path / "missing.yaml").endswith("is neither a file nor a folder.")


# --- progression Markdown ------------------------------------------------------------------


def test_a_progression_file_maps_onto_one_job_family(engine: Engine) -> None:
    import_framework(engine, PROGRESSION)
    spec = stored_spec(engine, "monzo-data-analyst")
    assert spec.name == "Data Analyst Framework"
    assert spec.scale == ScaleSpec(min=0, max=3, proficient=2)
    competencies = {competency.code: competency for competency in spec.competencies}
    assert {code: c.category for code, c in competencies.items()} == {
        "data-analyst-communication": "professional",
        "data-analyst-sql-mastery": "technical",
        "data-analyst-leadership": "professional",
    }
    assert competencies["data-analyst-sql-mastery"].name == "SQL Mastery"
    assert competencies["data-analyst-communication"].levels[2] == (
        "- Explains findings to non-analysts\n"
        "- Writes clear summaries (e.g. A one-page readout; A slide for the all-hands)"
    )
    assert set(competencies["data-analyst-leadership"].levels) == {3}
    (family,) = spec.job_families
    assert (family.code, family.name) == ("data-analyst", "Data Analyst")
    assert family.description.startswith("### About this framework")
    assert [level.title for level in family.levels] == ["Level 1", "Level 2", "Level 3"]
    required = {level.rank: {code: r.level for code, r in level.requirement_specs().items()}
                for level in family.levels}  # fmt: skip
    assert required == {
        1: {"data-analyst-communication": 1, "data-analyst-sql-mastery": 1},
        2: {"data-analyst-communication": 2, "data-analyst-sql-mastery": 2},
        3: {"data-analyst-communication": 3, "data-analyst-sql-mastery": 3,
            "data-analyst-leadership": 3},
    }  # fmt: skip


def test_family_files_given_one_code_share_the_widest_scale(engine: Engine, tmp_path: Path) -> None:
    text = PROGRESSION.read_text("utf-8")
    lead = tmp_path / "lead.md"
    lead.write_text(
        text.replace("/acme/data-analyst", "/acme/data-lead")
        .replace("levels: 3", "levels: 4")
        .replace('          - "Mentors new analysts"\n',
                 '          - "Mentors new analysts"\n      - level: 4\n        criteria:\n'
                 '          - "Sets the direction of analytics"\n'),
        "utf-8",
    )  # fmt: skip
    import_framework(engine, PROGRESSION, framework_code="acme-progression")
    second = import_framework(engine, lead, framework_code="acme-progression")
    assert second.changes.settings_changed == ("scale_max",)
    assert second.changes.job_families_added == ("data-lead",)
    assert second.changes.job_families_kept == ("data-analyst",)
    third = import_framework(engine, PROGRESSION, framework_code="acme-progression")
    assert not third.changes.changed
    spec = stored_spec(engine, "acme-progression")
    assert (spec.name, spec.scale.max) == ("acme-progression", 4)
    assert [family.code for family in spec.job_families] == ["data-analyst", "data-lead"]
    assert len(spec.competencies) == 6


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("tab.md", "tab.md: the YAML front matter does not parse: found character '\\t' that "
                   "cannot start any token (line 10)."),
        ("no-topics.md", "no-topics.md has no YAML front matter framework: its front matter lists "
                         "no topics (the framework is written as plain Markdown), so there is "
                         "nothing to import."),
        ("plain.md", "plain.md has no YAML front matter (it does not start with a '---' line), so "
                     "it holds no progression framework to import."),
    ],
)  # fmt: skip
def test_markdown_without_a_readable_framework_is_refused(
    engine: Engine, name: str, message: str
) -> None:
    assert refused(engine, FIXTURES / name) == message


@pytest.mark.parametrize(
    "name", [n for n in _monzo_names() if n not in MONZO_PLAIN | MONZO_UNPARSABLE]
)
def test_every_monzo_framework_with_yaml_front_matter_imports(engine: Engine, name: str) -> None:
    path = monzo_file(name)
    document = front_matter(path)
    result = import_framework(engine, path)
    family_code = slug(document["path"].rsplit("/", 1)[-1])
    spec = stored_spec(engine, f"monzo-{family_code}")
    (family,) = spec.job_families
    levels = {content["level"] for t in document["topics"] for content in t["content"] or []}
    ranks = [level.rank for level in family.levels]
    assert len(ranks) == document["levels"]
    assert ranks == list(range(ranks[0], ranks[0] + len(ranks)))
    assert ranks[-1] == max(document["levels"], *levels)
    assert spec.scale == ScaleSpec(min=0, max=ranks[-1],
                                   proficient=ranks[0] - 1 + math.ceil(len(ranks) / 2))  # fmt: skip
    competencies = {competency.code: competency for competency in spec.competencies}
    assert len(competencies) == len(document["topics"]) == len(result.changes.competencies_added)
    first_criteria: dict[str, int] = {}
    for topic in document["topics"]:
        code = f"{family_code}-{slug(topic['name'])}"
        descriptors = competencies[code].levels
        for content in topic["content"] or []:
            criteria = [*(content.get("criteria") or []),
                        *(e["criteria"] for e in content.get("exampleCriteria") or [])]  # fmt: skip
            for criterion in criteria:
                assert criterion.strip() in descriptors[content["level"]]
            if criteria:
                first = first_criteria.get(code, content["level"])
                first_criteria[code] = min(first, content["level"])
    for level in family.levels:
        assert level.requirements == {
            code: RequirementSpec(level=level.rank)
            for code, first in first_criteria.items()
            if first <= level.rank
        }
    assert not import_framework(engine, path).changes.changed


def test_monzo_backend_in_detail(engine: Engine) -> None:
    import_framework(engine, monzo_file("engineering/backend.md"))
    spec = stored_spec(engine, "monzo-backend")
    assert spec.name == "Backend Engineering Framework"
    assert spec.scale == ScaleSpec(min=0, max=6, proficient=3)
    (family,) = spec.job_families
    assert (family.code, family.name) == ("backend", "Backend Engineering")
    assert [level.title for level in family.levels] == [f"Level {n}" for n in range(1, 7)]
    categories = {competency.code: competency.category for competency in spec.competencies}
    assert categories == {
        "backend-communication": "professional",
        "backend-impact": "technical",
        "backend-leadership": "professional",
        "backend-influence": "professional",
        "backend-mastery": "technical",
    }
    for level in family.levels:
        expected = set(categories) - ({"backend-leadership"} if level.rank < 3 else set())
        assert set(level.requirements) == expected
        assert {r.level for r in level.requirement_specs().values()} == {level.rank}
    competencies = {competency.code: competency for competency in spec.competencies}
    assert competencies["backend-communication"].levels[1] == (
        "- Provides regular status updates to their mentor/buddy\n"
        "- Points out syntactical improvements in code reviews\n"
        "- Writes PR descriptions that provide basic context for the change\n"
        "- Seeks guidance from other engineers, rather than answers"
    )
    assert "- Implements simple RPC handlers (e.g. Basic CRUD handlers; Internal/external API " \
           "proxies)" in competencies["backend-mastery"].levels[2]  # fmt: skip
    assert set(competencies["backend-leadership"].levels) == {3, 4, 5, 6}


def test_monzo_people_is_refused_for_its_tab(engine: Engine) -> None:
    assert refused(engine, monzo_file("people.md")) == (
        "people.md: the YAML front matter does not parse: found character '\\t' that cannot "
        "start any token (line 205)."
    )


@pytest.mark.parametrize("name", sorted(MONZO_PLAIN))
def test_monzo_plain_markdown_is_refused(engine: Engine, name: str) -> None:
    assert "has no YAML front matter" in refused(engine, monzo_file(name))


# --- fuzzing -------------------------------------------------------------------------------

ODD_PIECES = [
    "\ufeff", "\r\n", "\r", "\x00", "\t", "\u2028", "\x85", "é", "\U0001d518", "\u200d",
    "🛠️", "'", '"', ":", "- ", "---\n", "\n", ",", ";", "&a ", "*a", "2020-13-45", "[[[[", "{",
    "!!python/object:os.system ", "\\ud800", "\\0", "99999999999999999999999999", "1e400",
    "-1", ".nan", ".inf",
]  # fmt: skip
NUMBERS = ["0", "-1", "4.5", "1e400", "nan", "99999999999999999999999999", "٣"]


@st.composite
def mutated(draw: st.DrawFn, texts: list[str]) -> str:
    """A real file, then a few cuts, insertions, line-ending and number changes."""
    text = draw(st.sampled_from(texts))
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["cut", "insert", "delete", "crlf", "bom", "number"]))
        at = draw(st.integers(0, len(text)))
        if kind == "cut":
            text = text[:at]
        elif kind == "insert":
            text = text[:at] + draw(st.sampled_from(ODD_PIECES) | st.text(max_size=4)) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        elif kind == "crlf":
            text = text.replace("\n", "\r\n")
        elif kind == "bom":
            text = "\ufeff" + text
        else:
            text = re.sub(
                r"\d+", draw(st.sampled_from(NUMBERS)), text, count=draw(st.integers(1, 3))
            )
    return text


def _texts(*paths: Path) -> list[str]:
    return [path.read_text("utf-8") for path in paths]


YAML_TEXTS = _texts(SMALL, DEMO)
MARKDOWN_TEXTS = _texts(PROGRESSION, FIXTURES / "tab.md", FIXTURES / "no-topics.md")
CSV_TEXTS = {path.name: path.read_text("utf-8-sig") for path in CSV_FOLDER.iterdir()}


def spec_or_refused(parse: Callable[[], FrameworkSpec]) -> None:
    try:
        assert isinstance(parse(), FrameworkSpec)
    except FileRefused as error:
        message = str(error)
        assert message.strip()
        assert "\n" not in message


def csv_files(role: str) -> st.SearchStrategy[bytes | None]:
    text = CSV_TEXTS[role]
    return st.one_of(
        st.none(), st.binary(max_size=200), mutated([text]).map(lambda t: t.encode("utf-8"))
    )


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), mutated(YAML_TEXTS)))
def test_the_yaml_parser_returns_a_spec_or_refuses(text: str) -> None:
    spec_or_refused(lambda: parse_framework_yaml(text, "fuzz.yaml"))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), mutated(MARKDOWN_TEXTS)), st.sampled_from([None, "shared", "x" * 65]))
def test_the_markdown_parser_returns_a_spec_or_refuses(text: str, code: str | None) -> None:
    spec_or_refused(lambda: parse_progression_markdown(text, "fuzz.md", framework_code=code))


@settings(max_examples=300, deadline=None)
@given(
    csv_files("competencies.csv"),
    csv_files("requirements.csv"),
    csv_files("framework.csv"),
    st.sampled_from([None, "fuzz"]),
)
def test_the_csv_parser_returns_a_spec_or_refuses(
    competencies: bytes | None,
    requirements: bytes | None,
    framework: bytes | None,
    code: str | None,
) -> None:
    given_files = [
        ("competencies.csv", competencies),
        ("requirements.csv", requirements),
        ("framework.csv", framework),
    ]
    files = {name: data for name, data in given_files if data is not None}
    spec_or_refused(lambda: parse_framework_csv(files, framework_code=code))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_an_import_writes_the_framework_or_leaves_the_database_unchanged(
    engine: Engine, tmp_path: Path, data: st.DataObject
) -> None:
    with Session(engine) as session:
        empty = not session.scalar(select(func.count()).select_from(Framework))
    if empty:
        import_framework(engine, SMALL)
    suffix = data.draw(st.sampled_from([".yaml", ".md", ".csv", ".zip"]), label="suffix")
    if suffix == ".zip":
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            for role in CSV_TEXTS:
                content = data.draw(csv_files(role), label=role)
                if content is not None:
                    zipped.writestr(role, content)
        content = data.draw(st.sampled_from([archive.getvalue(), archive.getvalue()[:60]]))
    else:
        texts = {".yaml": YAML_TEXTS, ".md": MARKDOWN_TEXTS,
                 ".csv": [CSV_TEXTS["competencies.csv"]]}[suffix]  # fmt: skip
        content = data.draw(
            st.one_of(st.binary(max_size=300), mutated(texts).map(lambda t: t.encode("utf-8")))
        )
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(content)
    before = database_rows(engine)
    try:
        import_framework(engine, path, framework_code=data.draw(st.sampled_from([None, "fuzz"])))
    except FileRefused:
        assert database_rows(engine) == before
