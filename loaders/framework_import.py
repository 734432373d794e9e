"""Import a framework from any of its formats, in one place for the command line and the app.

The file's extension picks the parser (.yaml/.yml native, .md progression Markdown, .csv, .zip
or a folder for CSV); `apply_framework` writes the result in one transaction together with an
import batch and an audit entry. A refused file leaves the database exactly as it was.
"""

import hashlib
import io
import zipfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data_model.models import AuditEntry, BatchStatus, Framework, ImportBatch
from data_model.rollup import recompute_all
from loaders.errors import FileRefused
from loaders.framework_csv import parse_framework_csv
from loaders.framework_markdown import parse_progression_markdown
from loaders.framework_yaml import (
    FrameworkChanges,
    FrameworkSpec,
    ScaleSpec,
    apply_framework,
    describe_validation_error,
    parse_framework_yaml,
)

MAX_FRAMEWORK_BYTES = 20 * 1024**2
NATIVE_SUFFIXES = (".yaml", ".yml")
MARKDOWN_SUFFIXES = (".md", ".markdown")
CSV_SUFFIXES = (".csv", ".zip")


@dataclass(frozen=True)
class FrameworkImportResult:
    batch_id: int
    changes: FrameworkChanges

    def as_json(self) -> dict[str, Any]:
        """What the command line prints: the batch, the summary, then every change."""
        return {
            "batch": self.batch_id,
            "kind": "framework",
            "summary": self.changes.summary(),
            **self.changes.as_dict(),
        }


def read_framework_file(path: Path | str, framework_code: str | None = None) -> FrameworkSpec:
    """Read and validate a framework file as `import_framework` would, writing nothing: for a
    preview before the import. Raises FileRefused as the import would."""
    path = Path(path)
    files, _sha256 = _read(path)
    return _parse(path, files, framework_code)


def import_framework(
    engine: Engine,
    path: Path | str,
    imported_by: str = "operator",
    framework_code: str | None = None,
) -> FrameworkImportResult:
    """Add or update the framework a file describes; raises FileRefused, writing nothing, for a
    file that cannot be read or applied. A change rolls mastery up again: scales, settings and
    requirements all feed it.

    `framework_code` imports into that framework whatever the file calls it; several progression
    Markdown files given the same code become job families of one framework.
    """
    path = Path(path)
    files, sha256 = _read(path)
    spec = _parse(path, files, framework_code)
    partial = not path.name.lower().endswith(NATIVE_SUFFIXES)
    with Session(engine) as session, session.begin():
        if framework_code and path.name.lower().endswith(MARKDOWN_SUFFIXES):
            spec = _widest_scale(session, spec)
        try:
            changes = apply_framework(session, spec, keep_mastery=partial)
        except FileRefused as error:
            problem = " ".join(str(error).split())
            raise FileRefused(f"{path.name} cannot be applied: {problem}") from error
        batch = ImportBatch(
            kind="framework",
            file_name=path.name[:512],
            sha256=sha256,
            imported_by=imported_by,
            rows_total=len(spec.competencies),
            rows_loaded=len(changes.competencies_added) + len(changes.competencies_updated),
            status=BatchStatus.APPLIED,
            finished_at=datetime.now(UTC),
        )
        session.add(batch)
        session.flush()
        batch_id = batch.id
        session.add(
            AuditEntry(
                actor=imported_by,
                action="framework.import",
                target_type="import_batch",
                target_id=str(batch.id),
                details=changes.as_dict(),
            )
        )
    if changes.changed:
        recompute_all(engine)
    return FrameworkImportResult(batch_id=batch_id, changes=changes)


def _read(path: Path) -> tuple[dict[str, bytes], str]:
    """The bytes of the file, or of each CSV in the folder or .zip, within the size limit, and
    their SHA-256: the file's own, or for a folder one over each CSV's name and bytes."""
    digest = hashlib.sha256()
    if path.is_dir():
        members = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".csv")
        _check_size(path.name, sum(member.stat().st_size for member in members))
        files = {f"{path.name}/{member.name}": member.read_bytes() for member in members}
        for name, data in files.items():
            digest.update(PurePosixPath(name).name.encode() + b"\0" + data)
    elif path.is_file():
        _check_size(path.name, path.stat().st_size)
        data = path.read_bytes()
        digest.update(data)
        files = _unzip(path.name, data) if path.suffix.lower() == ".zip" else {path.name: data}
    else:
        raise FileRefused(f"{path} is neither a file nor a folder.")
    if not files:
        raise FileRefused(f"{path.name} holds no CSV files; a framework needs competencies.csv.")
    return files, digest.hexdigest()


def _check_size(name: str, size: int) -> None:
    if size > MAX_FRAMEWORK_BYTES:
        raise FileRefused(
            f"{name} is {size / 1024**2:,.1f} MB, over the "
            f"{MAX_FRAMEWORK_BYTES / 1024**2:,.0f} MB limit for a framework."
        )


def _unzip(name: str, data: bytes) -> dict[str, bytes]:
    """The CSV members, skipping folders and macOS's __MACOSX shadow copies."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [
                member
                for member in archive.infolist()
                if not member.is_dir()
                and member.filename.lower().endswith(".csv")
                and "__MACOSX" not in PurePosixPath(member.filename).parts
            ]
            _check_size(name, sum(member.file_size for member in members))
            return {f"{name}/{member.filename}": archive.read(member) for member in members}
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, zlib.error) as error:
        raise FileRefused(f"{name} is not a readable .zip archive ({error}).") from error


def _parse(path: Path, files: dict[str, bytes], framework_code: str | None) -> FrameworkSpec:
    suffix = path.suffix.lower()
    if path.is_dir() or suffix in CSV_SUFFIXES:
        return parse_framework_csv(files, framework_code)
    (data,) = files.values()
    if suffix in MARKDOWN_SUFFIXES:
        return parse_progression_markdown(_text(path.name, data), path.name, framework_code)
    if suffix in NATIVE_SUFFIXES:
        spec = parse_framework_yaml(_text(path.name, data), path.name)
        return _recoded(spec, framework_code, path.name) if framework_code else spec
    raise FileRefused(
        f"{path.name} is not a framework file Pathwise reads: give a .yaml or .yml file, a "
        "progression .md file, or CSV files (a .csv, a .zip or a folder)."
    )


def _text(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise FileRefused(
            f"{name} is not UTF-8 text (byte {error.start}, on line {line}, cannot be decoded)."
        ) from error


def _recoded(spec: FrameworkSpec, framework_code: str, name: str) -> FrameworkSpec:
    try:
        return FrameworkSpec.model_validate({**spec.model_dump(), "code": framework_code})
    except ValidationError as error:
        problem = describe_validation_error(error)
        raise FileRefused(
            f"{name}: '{framework_code}' cannot be the framework code: {problem}."
        ) from error


def _widest_scale(session: Session, spec: FrameworkSpec) -> FrameworkSpec:
    """Family files sharing a framework may have different numbers of levels (backend 6,
    quality 3); the shared scale stays as wide as the widest, so that importing a shorter family
    never strands a longer one's requirements off the scale."""
    stored = session.scalar(select(Framework).where(Framework.code == spec.code))
    if stored is None or stored.scale_max <= spec.scale.max:
        return spec
    scale = ScaleSpec(
        min=min(stored.scale_min, spec.scale.min),
        max=stored.scale_max,
        proficient=stored.proficient_level,
        labels={int(level): label for level, label in stored.scale_labels.items()},
    )
    return spec.model_copy(update={"scale": scale})
