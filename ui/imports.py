"""The Data page's glue between an uploaded file and the importers in `loaders`.

The pure part takes bytes and a file name, so tests can drive it without a browser: which
kinds of file Pathwise reads, a preview of a CSV file's first rows, the column mapping the
form produced, a check of the whole file that writes nothing, and the import itself (through a
temporary file, as the importers read from disk). The Streamlit part is a progress bar for
imports and the cached reads behind the page's tables and choices.
"""

import csv
import io
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine

from data_model.exports import safe_for_spreadsheet
from data_model.queries.catalogue import activity_options, people_options
from data_model.queries.team import competency_scales
from loaders import catalogue_csv, records_csv, roster_csv
from loaders.badges import BadgesImporter, badges_importer
from loaders.batches import list_batches, rejected_rows, unmapped_keys
from loaders.csv_stream import decoded_lines, read_rows
from loaders.errors import FileRefused
from loaders.fields import rejected_for
from loaders.framework_import import import_framework, read_framework_file
from loaders.mappings import load_mapping, mapping_names
from loaders.pipeline import parse_file, run_record_import
from loaders.record_input import RecordImporter, RecordInput, RowRejected, RowSkipped, RowVoided
from loaders.xapi import XapiImporter
from ui.context import PageContext
from ui.data import MAX_ENTRIES, TTL
from ui.database import engine_for, session_for

Progress = Callable[[float, str], None]
PREVIEW_ROWS = 10
REJECTIONS_SHOWN = 100
"""The check lists this many rejected rows; the counts cover the whole file."""
LEAVE_BLANK = "="
"""A mapping to this constant makes a field blank even when the file has a same-name column."""


@dataclass(frozen=True)
class ImportKind:
    """One kind of file the Data page takes, and what the page needs to know about it."""

    key: str
    label: str
    noun: str
    """How a sentence names one such file."""
    types: tuple[str, ...]
    description: str
    fields: tuple[str, ...] = ()
    """Pathwise fields a column mapping can fill, in form order; empty: no column mapping."""
    required: frozenset[str] = frozenset()

    @property
    def is_csv_table(self) -> bool:
        return bool(self.fields)


FIELD_HELP: dict[str, str] = {
    "record_id": "The export's own id for the row; importing it again never duplicates it.",
    "person": "The learner's person id or email.",
    "activity": "A catalogue activity id or xAPI IRI; a record needs an activity or a competency.",
    "competency": "A competency code, for a record that rates a competency directly.",
    "occurred_at": "When it happened: YYYY-MM-DD or ISO 8601, or a day number with 'Days from'.",
    "score": "The score achieved; it needs max_score.",
    "max_score": "The highest score possible.",
    "rating": "A rating on the framework's scale.",
    "passed": "Yes or no.",
    "completed": "Yes or no.",
    "source": "self_report, attestation, peer_review, assessment or certification "
    "(self, manager, peer, exam and cert work too).",
    "verified_by": "The person id or email of whoever vouched for the record.",
    "valid_until": "The date a certification expires.",
    "notes": "Free text kept with the record.",
    "person_id": "The HR id that matches people from one roster to the next.",
    "name": "The person's full name.",
    "email": "Their work email, used to sign in.",
    "manager_id": "The person id of their manager.",
    "job_family": "A job family code or name from the framework.",
    "title_level": "Their pathway rank in that job family (0 to 50).",
    "department": "Department.",
    "location": "Location.",
    "hire_date": "YYYY-MM-DD.",
    "active": "Yes or no; blank means yes.",
    "activity_id": "The activity id records refer to.",
    "xapi_iri": "The activity's xAPI IRI, if statements refer to it.",
    "title": "The activity's title.",
    "kind": "course, certification, assessment, project, mentoring, stretch_assignment, "
    "portfolio or peer_review.",
    "formal": "Yes or no; blank follows the kind.",
    "provider": "Who runs it.",
    "hours": "Typical hours to complete.",
    "url": "Where to find it.",
    "pass_mark": "A share (0.7) or a percentage (70) of the maximum score.",
    "scoring": "pass or graded; blank follows the kind.",
    "competencies": "Tags as CODE:LEVEL;CODE:LEVEL.",
}

RECORD_FIELDS = ("person", "activity", "competency", "occurred_at", "score", "max_score",
                 "rating", "passed", "completed", "source", "verified_by", "valid_until",
                 "notes", "record_id")  # fmt: skip
ROSTER_FIELDS = ("person_id", "name", "email", "manager_id", "job_family", "title_level",
                 "department", "location", "hire_date", "active")  # fmt: skip
CATALOGUE_FIELDS = ("activity_id", "xapi_iri", "title", "kind", "formal", "provider", "hours",
                    "url", "pass_mark", "scoring", "competencies")  # fmt: skip
RECORDS = ImportKind(
    key="records",
    label="Learning records CSV",
    noun="a learning records CSV file",
    types=("csv",),
    description="One learning record per row, from Pathwise's own template or any LMS export "
    "through a column mapping.",
    fields=RECORD_FIELDS,
    required=frozenset(records_csv.REQUIRED),
)
KINDS: tuple[ImportKind, ...] = (
    ImportKind(
        key="framework",
        label="Framework",
        noun="a framework file",
        types=("yaml", "yml", "md", "markdown", "csv", "zip"),
        description="Competencies, levels and job families: Pathwise YAML, a progression "
        "Markdown file, or framework CSV files (one .csv or a .zip of them).",
    ),
    ImportKind(
        key="roster",
        label="Roster",
        noun="a roster CSV file",
        types=("csv",),
        description="Everyone in the organisation, one person per row; people are matched by "
        "person id and updated in place. Other columns are kept as attributes.",
        fields=ROSTER_FIELDS,
        required=frozenset(roster_csv.REQUIRED),
    ),
    ImportKind(
        key="catalog",
        label="Catalogue",
        noun="a catalogue CSV file",
        types=("csv",),
        description="The activity catalogue, one activity per row with its competency tags; "
        "activities are matched by id and updated in place.",
        fields=CATALOGUE_FIELDS,
        required=frozenset(catalogue_csv.REQUIRED),
    ),
    RECORDS,
    ImportKind(
        key="xapi",
        label="xAPI statements",
        noun="a file of xAPI statements",
        types=("json", "jsonl", "ndjson"),
        description="Statements from a learning record store: a JSON array, one statement, "
        "JSON Lines, or an LRS response page.",
    ),
    ImportKind(
        key="badges",
        label="Open Badges",
        noun="a file of Open Badges",
        types=("json", "jsonl", "ndjson"),
        description="Open Badges 3.0 or CLR 2.0 credentials; each becomes certification "
        "evidence of the competencies its achievement is aligned to.",
    ),
)
KIND_BY_KEY = {kind.key: kind for kind in KINDS}
BATCH_KIND_LABELS = {kind.key: kind.label for kind in KINDS} | {"demo": "Demo organisation"}


@dataclass(frozen=True)
class CheckReport:
    """What a file would give, read through its importer without writing anything."""

    kind: str
    file_name: str
    rows: int = 0
    ready: int = 0
    rejected: int = 0
    skipped: int = 0
    rejections: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["row", "field", "reason"])
    )
    refused: str | None = None
    """One sentence when the file cannot be read as a whole; it would change nothing."""
    note: str = ""


@dataclass(frozen=True)
class ImportResult:
    """What an applied import did, ready to show."""

    kind: str
    file_name: str
    batch: int | None
    counts: dict[str, int] = field(default_factory=dict)
    """loaded, duplicates, skipped, unmapped and rejected; empty for a framework."""
    errors: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["row", "field", "message"])
    )
    description: str = ""


def batch_kind_label(kind: str) -> str:
    return BATCH_KIND_LABELS.get(kind, kind)


def upload_name(name: str) -> str:
    """The uploaded file's own name, safe as a file name: no folders, no control characters."""
    base = re.sub(r"[\x00-\x1f\x7f]", "", name.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    if base in {"", ".", ".."}:
        return "upload"
    if len(base) > 200:
        suffix = Path(base).suffix[:20]
        base = base[: 200 - len(suffix)] + suffix
    return base


def check_upload_size(name: str, size: int, limit_mb: float) -> None:
    """Refuse a file over the upload limit, in one sentence."""
    if size > limit_mb * 1024**2:
        raise FileRefused(
            f"{name} is {size / 1024**2:,.1f} MB, over the {limit_mb:,.0f} MB upload limit; "
            "split it, or load it with `python -m loaders`."
        )


def preview_csv(data: bytes, name: str, rows: int = PREVIEW_ROWS) -> tuple[list[str], pd.DataFrame]:
    """The header's column names (as the importers read them) and the first `rows` rows."""
    try:
        reader = csv.reader(decoded_lines(io.BytesIO(data), name))
        header = next(reader, None)
        body = [cells for _, cells in zip(range(rows), reader, strict=False)]
    except csv.Error as error:
        raise FileRefused(f"{name} is not a readable CSV file ({error}).") from error
    if not header or not any(cell.strip() for cell in header):
        raise FileRefused(f"{name} is empty: it has no header row.")
    columns = [cell.strip() for cell in header]
    shown = _unique_labels(columns)
    padded = [(cells + [""] * len(shown))[: len(shown)] for cells in body]
    return columns, pd.DataFrame(padded, columns=shown)


def _unique_labels(columns: list[str]) -> list[str]:
    """Column labels a table can show: blank and repeated names get a number."""
    seen: dict[str, int] = {}
    labels = []
    for position, column in enumerate(columns, start=1):
        label = column or f"(column {position})"
        seen[label] = seen.get(label, 0) + 1
        labels.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return labels


def default_choices(
    fields: tuple[str, ...], columns: list[str], saved: Mapping[str, str] | None = None
) -> dict[str, str | None]:
    """The column each field starts with: a saved mapping's column when this file has it,
    else the same-name column (ignoring case), else none."""
    by_lower = {column.lower(): column for column in reversed(columns) if column}
    choices: dict[str, str | None] = {}
    for name in fields:
        saved_column = (saved or {}).get(name)
        if saved_column in columns:
            choices[name] = saved_column
        elif saved_column == LEAVE_BLANK:
            choices[name] = None
        else:
            choices[name] = by_lower.get(name.lower())
    return choices


def mapping_from_choices(choices: Mapping[str, str | None], columns: list[str]) -> dict[str, str]:
    """The importers' {field: column} mapping for the form's choices. A same-name column
    needs no entry; a field left blank whose same-name column exists is mapped to a blank
    constant, so the column is not read."""
    mapping: dict[str, str] = {}
    for name, column in choices.items():
        if column is None:
            if name in columns:
                mapping[name] = LEAVE_BLANK
        elif column != name:
            mapping[name] = column
    return mapping


def mapping_clashes(mapping: Mapping[str, str], columns: list[str]) -> list[str]:
    """Sentences for fields read from another column while the file also has a column with
    the field's own name: both would claim the field."""
    return [
        f"The file also has a column called {name!r}, which the importer would read as "
        f"{name} as well as {column!r}; remove or rename that column first."
        for name, column in mapping.items()
        if column != LEAVE_BLANK and not column.startswith("=") and name in columns
    ]


def _record_importer(kind: str, mapping: Mapping[str, str], days_from: date | None) -> Any:
    if kind == "records":
        return records_csv.RecordsCsvImporter(mapping, days_from=days_from)
    if kind == "xapi":
        return XapiImporter()
    if kind == "badges":
        return BadgesImporter()
    return None


LOOKED_UP_ON_APPLY = (
    "People, activities and competencies are looked up when you apply: records for someone "
    "or something Pathwise does not know wait in the unmapped queue, and records already "
    "loaded count as duplicates."
)
CHECKED_ON_APPLY = {
    "roster": "Managers, job families and people listed twice are checked when you apply; "
    "rows that fail are rejected and kept for download.",
    "catalog": "Competency codes are checked when you apply; rows naming a code the framework "
    "does not have are rejected and kept for download.",
}


def check_upload(
    kind: str,
    data: bytes,
    name: str,
    mapping: Mapping[str, str] | None = None,
    days_from: date | None = None,
    framework_code: str | None = None,
) -> CheckReport:
    """Read the whole file through its importer's parser and count what it would give;
    nothing is written. A file refused as a whole comes back with `refused` set."""
    mapping = dict(mapping or {})
    try:
        if kind == "framework":
            return _check_framework(data, name, framework_code)
        importer = _record_importer(kind, mapping, days_from)
        if importer is not None:
            return _check_records(importer, data, name)
        if kind == "roster":
            return _check_table(
                kind, roster_csv.RosterRow, roster_csv.REQUIRED, data, name, mapping
            )
        if kind == "catalog":
            return _check_table(
                kind, catalogue_csv.CatalogueRow, catalogue_csv.REQUIRED, data, name, mapping
            )
    except FileRefused as error:
        return CheckReport(kind=kind, file_name=name, refused=str(error))
    raise ValueError(f"Pathwise has no importer for {kind!r}.")


def _rejections(rows: list[RowRejected]) -> pd.DataFrame:
    return pd.DataFrame(
        [(row.row_number, row.field, row.reason) for row in rows],
        columns=["row", "field", "reason"],
    )


def _check_records(importer: RecordImporter, data: bytes, name: str) -> CheckReport:
    ready = skipped = 0
    rejected: list[RowRejected] = []
    rejected_count = 0
    for parsed in parse_file(importer, io.BytesIO(data), name):
        if isinstance(parsed, RecordInput):
            ready += 1
        elif isinstance(parsed, RowRejected):
            rejected_count += 1
            if len(rejected) < REJECTIONS_SHOWN:
                rejected.append(parsed)
        elif isinstance(parsed, RowSkipped | RowVoided):
            skipped += 1
    return CheckReport(
        kind=importer.kind, file_name=name, rows=ready + skipped + rejected_count, ready=ready,
        rejected=rejected_count, skipped=skipped, rejections=_rejections(rejected),
        note=LOOKED_UP_ON_APPLY,
    )  # fmt: skip


def _check_table(
    kind: str,
    model: type[BaseModel],
    required: set[str],
    data: bytes,
    name: str,
    mapping: Mapping[str, str],
) -> CheckReport:
    ready = 0
    rejected: list[RowRejected] = []
    rejected_count = 0
    for number, row in read_rows(io.BytesIO(data), name, required, mapping):
        try:
            model.model_validate(row)
        except ValidationError as error:
            rejected_count += 1
            if len(rejected) < REJECTIONS_SHOWN:
                rejected.append(rejected_for(number, row, error))
            continue
        ready += 1
    return CheckReport(
        kind=kind, file_name=name, rows=ready + rejected_count, ready=ready,
        rejected=rejected_count, rejections=_rejections(rejected), note=CHECKED_ON_APPLY[kind],
    )  # fmt: skip


def _check_framework(data: bytes, name: str, framework_code: str | None) -> CheckReport:
    with saved_upload(data, name) as path:
        spec = read_framework_file(path, framework_code or None)
    families = len(spec.job_families)
    return CheckReport(
        kind="framework", file_name=name, rows=len(spec.competencies),
        ready=len(spec.competencies),
        note=f"Framework {spec.code} ({spec.name}): {len(spec.competencies):,} competencies and "
        f"{families:,} job famil{'y' if families == 1 else 'ies'}. Applying adds or updates "
        "them; anything already stored that the file no longer names is kept.",
    )  # fmt: skip


@contextmanager
def saved_upload(data: bytes, name: str) -> Iterator[Path]:
    """The upload as a file with its own name in a private temporary folder, removed after."""
    with tempfile.TemporaryDirectory(prefix="pathwise-upload-") as folder:
        path = Path(folder) / upload_name(name)
        path.write_bytes(data)
        yield path


def throttled(progress: Progress, step: float = 0.01) -> Progress:
    """Pass on only updates that move the bar by `step` or change the message: the parser
    reports every block it reads, and each update is a message to the browser."""
    last: dict[str, Any] = {"fraction": -1.0, "message": None}

    def update(fraction: float, message: str) -> None:
        if message != last["message"] or abs(fraction - last["fraction"]) >= step:
            last.update(fraction=fraction, message=message)
            progress(fraction, message)

    return update


def _no_progress(_fraction: float, _message: str) -> None:
    return None


def apply_upload(
    engine: Engine,
    kind: str,
    data: bytes,
    name: str,
    imported_by: str,
    mapping: Mapping[str, str] | None = None,
    days_from: date | None = None,
    framework_code: str | None = None,
    progress: Progress = _no_progress,
) -> ImportResult:
    """Import the upload as one batch, audited as `imported_by`; raises FileRefused (having
    written nothing) for a file that cannot be read as a whole."""
    mapping = dict(mapping or {})
    with saved_upload(data, name) as path:
        if kind == "framework":
            result = import_framework(engine, path, imported_by, framework_code or None)
            progress(1.0, "Done")
            return ImportResult(
                kind=kind, file_name=path.name, batch=result.batch_id,
                description=result.changes.summary(),
            )  # fmt: skip
        importer = (
            badges_importer(engine)
            if kind == "badges"
            else _record_importer(kind, mapping, days_from)
        )
        if importer is not None:
            summary = run_record_import(engine, importer, path, imported_by, progress)
        elif kind == "roster":
            summary = roster_csv.import_roster(engine, path, imported_by, mapping, progress)
        elif kind == "catalog":
            summary = catalogue_csv.import_catalogue(engine, path, imported_by, mapping)
            progress(1.0, "Done")
        else:
            raise ValueError(f"Pathwise has no importer for {kind!r}.")
    report = summary.as_json()
    return ImportResult(
        kind=kind,
        file_name=path.name,
        batch=report["batch"],
        counts={count: report[count] for count in
                ("loaded", "duplicates", "skipped", "unmapped", "rejected")},
        errors=pd.DataFrame(report["errors"], columns=["row", "field", "message"]),
    )  # fmt: skip


def rejected_rows_csv(frame: pd.DataFrame) -> bytes:
    """Rejected rows as a CSV a spreadsheet opens without running any cell as a formula."""
    return safe_for_spreadsheet(frame).to_csv(index=False).encode("utf-8-sig")


# Streamlit glue ---------------------------------------------------------------------------


def upload_limit_mb() -> int:
    """`server.maxUploadSize` from .streamlit/config.toml: the uploader enforces it in the
    browser, and the page again on the server."""
    return int(st.get_option("server.maxUploadSize"))


@contextmanager
def progress_bar(text: str) -> Iterator[Progress]:
    """An `st.progress` bar for one import, removed when it ends."""
    bar = st.progress(0.0, text=text)

    def update(fraction: float, message: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=f"{text}: {message.lower()}")

    try:
        yield throttled(update)
    finally:
        bar.empty()


def forget_cached_reads() -> None:
    """After any write: every page's cached numbers may have changed."""
    st.cache_data.clear()


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def batch_history(context: PageContext) -> pd.DataFrame:
    with session_for(context.database_url) as session:
        return list_batches(session, context.viewer)


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def unmapped_queue(context: PageContext) -> pd.DataFrame:
    with session_for(context.database_url) as session:
        return unmapped_keys(session, context.viewer)


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def rejected_download(context: PageContext, batch_id: int) -> pd.DataFrame:
    with session_for(context.database_url) as session:
        return rejected_rows(session, batch_id, context.viewer)


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def saved_mapping_names(url: str) -> list[str]:
    return mapping_names(engine_for(url))


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def saved_mapping(url: str, name: str) -> dict[str, str] | None:
    try:
        return load_mapping(engine_for(url), name)
    except FileRefused:
        return None


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def people_choices(context: PageContext) -> pd.DataFrame:
    with session_for(context.database_url) as session:
        return people_options(session, context.viewer)


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def activity_choices(url: str) -> pd.DataFrame:
    with session_for(url) as session:
        return activity_options(session)


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def competency_choices(url: str) -> pd.DataFrame:
    """Every competency by code and name, for mapping a badge's achievement."""
    with session_for(url) as session:
        return competency_scales(session)[["code", "name"]]
