"""What every learning-record importer produces: one `ParsedRow` per input row or statement.

An importer only parses and maps; `loaders.pipeline` resolves people and activities, dedupes,
writes the batch in one transaction, holds unknown keys, keeps rejected rows, and rolls
mastery up. So CSV exports, xAPI statements and Open Badges all behave the same way.
"""

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any, BinaryIO, ClassVar

from data_model.models import SourceKind, Verification

MAX_KEY_LENGTH = 128


def source_key(namespace: str, source_id: str) -> str:
    """The dedupe key of a record the source gave an id."""
    key = f"{namespace}:{source_id.strip()}"
    if len(key) <= MAX_KEY_LENGTH:
        return key
    return f"{namespace}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def hashed_key(normalised: str) -> str:
    """The dedupe key of a record without an id: a hash of `normalised_record`."""
    return f"hash:{hashlib.sha256(normalised.encode()).hexdigest()}"


def normalised_record(
    person: str, activity: str | None, competency: str | None, occurred_at: datetime,
    score: float | None, max_score: float | None, rating: float | None, passed: bool | None,
    completed: bool | None, source_kind: SourceKind | None,
) -> str:  # fmt: skip
    """What makes two rows the same record, whatever file or column order they came in."""
    return json.dumps(
        [
            person.strip().lower(), (activity or "").strip(), (competency or "").strip(),
            occurred_at.isoformat(), score, max_score, rating, passed, completed,
            str(source_kind),
        ]
    )  # fmt: skip


@dataclass(frozen=True)
class RecordInput:
    """One learning record as read, before its person and activity are looked up.

    `person` and `verified_by` are an external id, an email or a known alias; `activity` is a
    catalogue external id, an xAPI IRI or an alias; `competency` is a competency code, set
    for records that rate a competency directly, or, for a badge, `achievement`.
    """

    row_number: int
    raw: Any
    person: str
    occurred_at: datetime
    source_kind: SourceKind | None = None
    """None: by the activity's kind, or for a direct rating attestation when someone vouched
    for it, else self report."""
    activity: str | None = None
    competency: str | None = None
    achievement: str | None = None
    """An Open Badge achievement aligned to no competency: the record is held until an L&D
    admin maps the achievement to one (a `KeyAlias` of kind "achievement")."""
    score: float | None = None
    max_score: float | None = None
    rating: float | None = None
    passed: bool | None = None
    completed: bool | None = None
    verified_by: str | None = None
    verification: Verification | None = None
    valid_until: date | None = None
    notes: str = ""
    source_id: str | None = None
    """The source's own record id (a CSV record id, an xAPI statement id), if any."""
    namespace: str = "record"

    def dedupe_key(self) -> str:
        """The source's id when it has one, else a hash of the normalised record."""
        if self.source_id:
            return source_key(self.namespace, self.source_id)
        return hashed_key(self.normalised())

    def normalised(self) -> str:
        """What makes two rows the same record, whatever file or column order they came in."""
        return normalised_record(
            self.person, self.activity, self.competency, self.occurred_at, self.score,
            self.max_score, self.rating, self.passed, self.completed, self.source_kind,
        )  # fmt: skip

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready copy, for the unmapped queue."""
        data = asdict(self)
        for name, value in data.items():
            if isinstance(value, datetime | date):
                data[name] = value.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "RecordInput":
        values = dict(data)
        values["occurred_at"] = datetime.fromisoformat(values["occurred_at"])
        if values.get("valid_until"):
            values["valid_until"] = date.fromisoformat(values["valid_until"])
        if values.get("source_kind"):
            values["source_kind"] = SourceKind(values["source_kind"])
        if values.get("verification"):
            values["verification"] = Verification(values["verification"])
        return cls(**values)


@dataclass(frozen=True)
class RowRejected:
    """A row that cannot become a record; kept with its reason so it can be fixed and re-sent."""

    row_number: int
    raw: Any
    field: str | None
    reason: str


@dataclass(frozen=True)
class RowSkipped:
    """A row that is valid but not evidence (an xAPI 'launched' statement, say)."""

    row_number: int
    reason: str


@dataclass(frozen=True)
class RowVoided:
    """A statement that withdraws an earlier one (xAPI voiding)."""

    row_number: int
    raw: Any
    voided_key: str


ParsedRow = RecordInput | RowRejected | RowSkipped | RowVoided


class RecordImporter(ABC):
    """One format of learning records. Subclasses only parse and map.

    `parse` yields one `ParsedRow` per row or statement, in order, reading the stream
    incrementally; a problem with the file as a whole (wrong format, encoding, missing
    columns) raises `FileRefused` instead, and the pipeline then writes nothing at all.
    """

    kind: ClassVar[str]

    @abstractmethod
    def parse(self, stream: BinaryIO, file_name: str) -> Iterator[ParsedRow]: ...

    def notices(self) -> dict[str, Any]:
        """What the last `parse` found that the import summary must say beyond its counts
        (an LRS page's `more` link, say), as extra keys of the summary's JSON."""
        return {}
