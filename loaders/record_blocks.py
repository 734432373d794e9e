"""Resolving a block of validated record rows column-wise: `resolve_record` for many rows.

People, activities and competencies are looked up once per distinct key; a row whose key
nobody recognises is left out, for the per-row path to hold or reject with its reason.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from data_model.models import Verification
from loaders.columns import each_distinct_once
from loaders.lookups import Lookups
from loaders.record_input import hashed_key, normalised_record, source_key
from loaders.record_resolve import provenance
from loaders.records_csv import CheckedBlock

NAMESPACE = "record"


@dataclass(frozen=True)
class ResolvedBlock:
    """The insert columns (see `record_insert.COLUMNS`) of the rows at `positions`."""

    positions: list[int]
    columns: dict[str, list[Any]]


def resolve_block(
    checked: CheckedBlock, lookups: Lookups, batch_id: int, now: datetime
) -> ResolvedBlock:
    fields = checked.fields
    person_ids = _looked_up(fields["person"], lookups.person)
    activity_ids = _looked_up(fields["activity"], lookups.activity)
    competency_ids = _looked_up(fields["competency"], lookups.competencies.get)
    verifier_ids = _looked_up(fields["verified_by"], lookups.person)
    known = [
        index
        for index, (person, activity, activity_id, competency, competency_id) in enumerate(
            zip(
                person_ids,
                fields["activity"],
                activity_ids,
                fields["competency"],
                competency_ids,
                strict=True,
            )
        )
        if person is not None
        and (activity is None or activity_id is not None)
        and (competency is None or competency_id is not None)
    ]
    ids = {"person_id": person_ids, "activity_id": activity_ids,
           "competency_id": competency_ids, "verified_by_id": verifier_ids}  # fmt: skip
    picked = {name: [values[i] for i in known] for name, values in (fields | ids).items()}
    kinds = [lookups.activity_kinds.get(activity_id) for activity_id in picked["activity_id"]]
    vouched = [
        bool(verifier and verifier != person)
        for verifier, person in zip(picked["verified_by_id"], picked["person_id"], strict=True)
    ]
    settled = each_distinct_once(
        list(zip(picked["source_kind"], picked["verification"], kinds, vouched, strict=True)),
        lambda key: provenance(*key),
    )
    verified = [verification is Verification.VERIFIED for _, verification in settled]
    block = checked.block
    count = len(known)
    return ResolvedBlock(
        positions=[checked.accepted[i] for i in known],
        columns={
            "dedupe_key": _dedupe_keys(picked),
            "person_id": picked["person_id"],
            "activity_id": picked["activity_id"],
            "competency_id": picked["competency_id"],
            "occurred_at": picked["occurred_at"],
            "score": picked["score"],
            "max_score": picked["max_score"],
            "rating": picked["rating"],
            "passed": picked["passed"],
            "completed": picked["completed"],
            "source_kind": [source_kind for source_kind, _ in settled],
            "verification": [verification for _, verification in settled],
            "verified_by_id": picked["verified_by_id"],
            "verified_at": [
                when if yes else None
                for when, yes in zip(picked["occurred_at"], verified, strict=True)
            ],
            "valid_until": picked["valid_until"],
            "notes": picked["notes"],
            "raw": block.json_rows([checked.accepted[i] for i in known]),
            "import_batch_id": [batch_id] * count,
            "created_at": [now] * count,
        },
    )


def _dedupe_keys(picked: dict[str, list[Any]]) -> list[str]:
    """`RecordInput.dedupe_key` of each row: its record id, else a hash of the record."""
    keys = []
    for index, source_id in enumerate(picked["source_id"]):
        if source_id:
            keys.append(source_key(NAMESPACE, source_id))
        else:
            keys.append(hashed_key(normalised_record(
                picked["person"][index], picked["activity"][index],
                picked["competency"][index], picked["occurred_at"][index],
                picked["score"][index], picked["max_score"][index], picked["rating"][index],
                picked["passed"][index], picked["completed"][index],
                picked["source_kind"][index],
            )))  # fmt: skip
    return keys


def _looked_up(keys: list[str | None], find: Callable[[str], int | None]) -> list[int | None]:
    return each_distinct_once(keys, lambda key: None if key is None else find(key))
