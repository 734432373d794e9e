"""Learning records as CSV: Pathwise's own columns, or any LMS export through a mapping.

Columns: record_id, person (id or email), activity or competency, occurred_at, score with
max_score, or rating, passed, completed, source, verified_by, valid_until, notes.

Rows are validated one by one by `RecordRow` (`parse`), or a block at a time column-wise
(`parse_blocks`, what imports use): a row is accepted there only when every field is in a
plain form whose value is certain to be what `RecordRow` gives; every other row (rejected,
or valid in an odd form) goes back to `parse_row`, so the outcome is the same either way.
"""

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, BinaryIO, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, model_validator

from data_model.models import SourceKind, Verification
from loaders.columns import each_distinct_once, invalid_positions
from loaders.csv_stream import RowBlock, read_blocks, read_rows
from loaders.fields import (
    Number,
    Text,
    YesNo,
    blank_to_none,
    boolean,
    finite,
    rejected_for,
)
from loaders.record_input import ParsedRow, RecordImporter, RecordInput, RowRejected

REQUIRED = {"person", "occurred_at"}
SOURCE_ALIASES = {"self": "self_report", "self-report": "self_report", "manager": "attestation",
                  "mentor": "attestation", "peer": "peer_review", "exam": "assessment",
                  "quiz": "assessment", "cert": "certification"}  # fmt: skip


def _source(value: Any) -> SourceKind | None:
    value = blank_to_none(value)
    if value is None:
        return None
    text = str(value).lower().replace(" ", "_")
    return SourceKind(SOURCE_ALIASES.get(text, text))


class RecordRow(BaseModel):
    """One CSV row, validated: a field that is wrong names itself in the rejection."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    record_id: Text = None
    person: Annotated[str, BeforeValidator(blank_to_none)]
    activity: Text = None
    competency: Text = None
    occurred_at: Annotated[str, BeforeValidator(blank_to_none)]
    score: Number = None
    max_score: Number = None
    rating: Number = None
    passed: YesNo = None
    completed: YesNo = None
    source: Annotated[SourceKind | None, BeforeValidator(_source)] = None
    verified_by: Text = None
    verification: Annotated[Verification | None, BeforeValidator(blank_to_none)] = None
    valid_until: Annotated[date | None, BeforeValidator(blank_to_none)] = None
    notes: Text = None

    @model_validator(mode="after")
    def _consistent(self) -> "RecordRow":
        if not self.activity and not self.competency:
            raise ValueError("a record needs an activity or a competency")
        if self.score is not None and self.score < 0:
            raise ValueError("score cannot be negative")
        if self.max_score is not None and self.max_score <= 0:
            raise ValueError("max_score must be above 0")
        if self.score is not None and self.max_score is None:
            raise ValueError("a score needs its max_score")
        if self.rating is not None and not 0 <= self.rating <= 100:
            raise ValueError("rating must be on the framework's scale")
        return self


def parse_when(text: str, days_from: date | None = None) -> datetime:
    """ISO date or date-time (UTC when no zone is given); with `days_from`, a whole number
    is that many days after it (exports like OULAD count days from the module start)."""
    value = text.strip()
    if days_from is not None and value.lstrip("-").isdigit():
        try:
            day = days_from + timedelta(days=int(value))
        except OverflowError:
            raise ValueError(f"{value} days from {days_from} is not a plausible date") from None
        return datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"'{value}' is not a date (use YYYY-MM-DD or ISO 8601)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not 1900 <= moment.year <= 2200:
        raise ValueError(f"{value} is not a plausible date")
    return moment


class RecordsCsvImporter(RecordImporter):
    kind: ClassVar[str] = "records"

    def __init__(self, mapping: Mapping[str, str] | None = None, days_from: date | None = None):
        self.mapping = dict(mapping or {})
        self.days_from = days_from

    def parse(self, stream: BinaryIO, file_name: str) -> Iterator[ParsedRow]:
        for number, row in read_rows(stream, file_name, REQUIRED, self.mapping):
            yield self.parse_row(number, row)

    def parse_blocks(self, stream: BinaryIO, file_name: str) -> Iterator["CheckedBlock"]:
        """The file a block of rows at a time, each with the rows validated column-wise."""
        for block in read_blocks(stream, file_name, REQUIRED, self.mapping):
            yield check_block(block, self.days_from)

    def parse_row(self, number: int, row: dict[str, str]) -> ParsedRow:
        try:
            valid = RecordRow.model_validate(row)
            when = parse_when(valid.occurred_at, self.days_from)
        except ValidationError as error:
            return rejected_for(number, row, error)
        except ValueError as error:
            return RowRejected(number, row, "occurred_at", f"occurred_at: {error}")
        return RecordInput(
            row_number=number, raw=row, person=valid.person, occurred_at=when,
            source_kind=valid.source, activity=valid.activity, competency=valid.competency,
            score=valid.score, max_score=valid.max_score, rating=valid.rating,
            passed=valid.passed, completed=valid.completed, verified_by=valid.verified_by,
            verification=valid.verification, valid_until=valid.valid_until,
            notes=valid.notes or "", source_id=valid.record_id,
        )  # fmt: skip


PLAIN_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
VERIFICATIONS = {member.value: member for member in Verification}


@dataclass(frozen=True)
class CheckedBlock:
    """A block of rows and, for the rows accepted column-wise (`accepted`, positions in the
    block), each `RecordInput` field as a list; the other rows need `parse_row`."""

    block: RowBlock
    accepted: list[int]
    fields: dict[str, list[Any]]


def check_block(block: RowBlock, days_from: date | None) -> CheckedBlock:
    """Validate a block column by column, each distinct value parsed once."""
    columns = block.columns()

    def parsed(name: str, parse: Callable[[Any], Any]) -> list[Any]:
        return each_distinct_once(columns(name), parse, refused=(ValueError,))

    fields = {
        "source_id": parsed("record_id", _text),
        "person": parsed("person", _required_text),
        "activity": parsed("activity", _text),
        "competency": parsed("competency", _text),
        "occurred_at": parsed("occurred_at", lambda value: _when(value, days_from)),
        "score": parsed("score", finite),
        "max_score": parsed("max_score", finite),
        "rating": parsed("rating", finite),
        "passed": parsed("passed", boolean),
        "completed": parsed("completed", boolean),
        "source_kind": parsed("source", _source),
        "verified_by": parsed("verified_by", _text),
        "verification": parsed("verification", _verification),
        "valid_until": parsed("valid_until", _plain_date),
        "notes": parsed("notes", lambda value: _text(value) or ""),
    }
    refused = set().union(*map(invalid_positions, fields.values()))
    accepted = [
        position
        for position, row in enumerate(zip(*(fields[name] for name in CONSISTENCY), strict=True))
        if position not in refused and _consistent(*row)
    ]
    return CheckedBlock(block, accepted, {
        name: [values[position] for position in accepted] for name, values in fields.items()
    })  # fmt: skip


CONSISTENCY = ["activity", "competency", "score", "max_score", "rating"]


def _consistent(
    activity: str | None, competency: str | None,
    score: float | None, max_score: float | None, rating: float | None,
) -> bool:  # fmt: skip
    """`RecordRow._consistent` as a test: False sends the row to `parse_row` to be rejected."""
    return bool(
        (activity or competency)
        and (score is None or (score >= 0 and max_score is not None))
        and (max_score is None or max_score > 0)
        and (rating is None or 0 <= rating <= 100)
    )


def _text(value: str | None) -> str | None:
    return (value.strip() or None) if value is not None else None


def _required_text(value: str | None) -> str:
    text = _text(value)
    if text is None:
        raise ValueError("required")
    return text


def _when(value: str | None, days_from: date | None) -> datetime:
    text = _text(value)
    if text is None:
        raise ValueError("occurred_at is required")
    return parse_when(text, days_from)


def _verification(value: str | None) -> Verification | None:
    text = _text(value)
    if text is None:
        return None
    if text not in VERIFICATIONS:
        raise ValueError(text)
    return VERIFICATIONS[text]


def _plain_date(value: str | None) -> date | None:
    """YYYY-MM-DD; any other form is left to pydantic, whose date parsing is broader."""
    text = _text(value)
    if text is None:
        return None
    if not PLAIN_DATE.fullmatch(text):
        raise ValueError(text)
    return date.fromisoformat(text)
