"""Learning records as CSV: Pathwise's own columns, or any LMS export through a mapping.

Columns: record_id, person (id or email), activity or competency, occurred_at, score with
max_score, or rating, passed, completed, source, verified_by, valid_until, notes.
"""

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, BinaryIO, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, model_validator

from data_model.models import SourceKind, Verification
from loaders.csv_stream import read_rows
from loaders.fields import Number, Text, YesNo, blank_to_none, rejected_for
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
        return datetime.combine(days_from + timedelta(days=int(value)), datetime.min.time(),
                                tzinfo=UTC)  # fmt: skip
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
