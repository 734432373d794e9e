"""Turning one parsed record into its insert row: people, activities and competencies by id,
and the source kind and verification the input left out."""

import math
from typing import Any

from data_model.models import SOURCE_OF_ACTIVITY, ActivityKind, SourceKind, Verification
from loaders.lookups import Lookups
from loaders.record_input import RecordInput


def resolve_record(record: RecordInput, lookups: Lookups) -> dict[str, Any] | tuple[str, str]:
    """The insert row for a record, or (kind, key) for the first key nobody recognises (a
    badge's achievement counts as unknown until it is mapped to a competency)."""
    person_id = lookups.person(record.person)
    if person_id is None:
        return ("person", record.person)
    activity_id = lookups.activity(record.activity)
    if record.activity and activity_id is None:
        return ("activity", record.activity)
    competency_id = lookups.competencies.get(record.competency) if record.competency else None
    if record.competency and competency_id is None:
        return ("competency", record.competency)
    if record.achievement and not record.competency and not record.activity:
        competency_id = lookups.achievements.get(record.achievement)
        if competency_id is None:
            return ("achievement", record.achievement)
    verifier_id = lookups.person(record.verified_by)
    source_kind, verification = provenance(
        record.source_kind, record.verification,
        lookups.activity_kinds[activity_id] if activity_id else None,
        bool(verifier_id and verifier_id != person_id),
    )  # fmt: skip
    return {
        "dedupe_key": record.dedupe_key(),
        "person_id": person_id,
        "activity_id": activity_id,
        "competency_id": competency_id,
        "occurred_at": record.occurred_at,
        "score": record.score,
        "max_score": record.max_score,
        "rating": record.rating,
        "passed": record.passed,
        "completed": record.completed,
        "source_kind": source_kind,
        "verification": verification,
        "verified_by_id": verifier_id,
        "verified_at": record.occurred_at if verification is Verification.VERIFIED else None,
        "valid_until": record.valid_until,
        "notes": record.notes,
        "raw": jsonable(record.raw),
    }


def provenance(
    source_kind: SourceKind | None,
    verification: Verification | None,
    activity_kind: ActivityKind | None,
    vouched: bool,
) -> tuple[SourceKind, Verification]:
    """A record's source kind and verification when the input leaves them out: by the
    activity's kind, else an attestation when someone else vouched for it, else self report."""
    source_kind = source_kind or (
        SOURCE_OF_ACTIVITY[activity_kind] if activity_kind
        else SourceKind.ATTESTATION if vouched
        else SourceKind.SELF_REPORT
    )  # fmt: skip
    verification = verification or (Verification.VERIFIED if vouched else Verification.NOT_NEEDED)
    return source_kind, verification


def jsonable(raw: Any) -> Any:
    """The raw input as JSON can hold it: unchanged when it already is JSON (a CSV row always
    is); a number JSON cannot hold (NaN, infinity) becomes null and anything else its text."""
    if isinstance(raw, dict):
        if all(isinstance(value, str) for value in raw.values()):
            return raw
        return {str(key): jsonable(value) for key, value in raw.items()}
    if isinstance(raw, list | tuple):
        return [jsonable(value) for value in raw]
    if isinstance(raw, float) and not math.isfinite(raw):
        return None
    if raw is None or isinstance(raw, str | int | float | bool):
        return raw
    return str(raw)
