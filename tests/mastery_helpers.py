"""Build engine inputs by hand: one competency (id 1) on a 0-5 scale, proficient at 3."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from data_model.evidence_source import RAW_COLUMNS
from data_model.mastery import (
    ACTIVITY_KINDS,
    SCORINGS,
    SOURCE_KINDS,
    VERIFICATIONS,
    CompetencyRules,
    read_evidence,
    roll_up,
    vocabulary_codes,
    weigh,
)
from data_model.mastery_settings import MasterySettings

VOCABULARIES = {"source_kind": SOURCE_KINDS, "verification": VERIFICATIONS,
                "activity_kind": ACTIVITY_KINDS, "scoring": SCORINGS}  # fmt: skip
AS_OF = datetime(2026, 6, 30, 12, tzinfo=UTC)
LABELS = {"0": "Not yet", "1": "Awareness", "2": "Foundation", "3": "Practitioner",
          "4": "Advanced", "5": "Expert"}  # fmt: skip


def rules(**settings: Any) -> CompetencyRules:
    return CompetencyRules.build(
        [{"competency_id": 1, "scale_min": 0, "scale_max": 5, "proficient": 3,
          "labels": LABELS, "settings": MasterySettings(**settings)}]
    )  # fmt: skip


def row(**values: Any) -> dict[str, Any]:
    """One raw evidence row: a recent, verified-free attestation unless told otherwise."""
    base: dict[str, Any] = dict.fromkeys(RAW_COLUMNS)
    base.update(
        person_id=1, competency_id=1, occurred_at=AS_OF - timedelta(days=1),
        source_kind="attestation", verification="not_needed", tag_weight=1.0,
    )  # fmt: skip
    base.update(values)
    return base


def rating(value: float, days_ago: float = 1, **values: Any) -> dict[str, Any]:
    return row(rating=value, occurred_at=AS_OF - timedelta(days=days_ago), **values)


def activity(target: float, days_ago: float = 1, **values: Any) -> dict[str, Any]:
    defaults = {"activity_kind": "course", "source_kind": "course", "completed": True}
    defaults.update(values)
    return row(target_level=target, occurred_at=AS_OF - timedelta(days=days_ago), **defaults)


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    data = pd.DataFrame([{**r, "record_id": r.get("record_id") or i + 1}
                         for i, r in enumerate(rows)], columns=list(RAW_COLUMNS))  # fmt: skip
    data["occurred_at"] = pd.to_datetime(data["occurred_at"], utc=True)
    data["valid_until"] = pd.to_datetime(data["valid_until"])
    for column in ("passed", "completed"):
        data[column] = data[column].astype(float)
    for column, vocabulary in VOCABULARIES.items():
        data[column] = vocabulary_codes(data[column], vocabulary)
    return data


def weighed(rows: list[dict[str, Any]], as_of: datetime = AS_OF, **settings: Any) -> pd.DataFrame:
    return weigh(read_evidence(frame(rows)), rules(**settings), as_of)


def result(rows: list[dict[str, Any]], as_of: datetime = AS_OF, **settings: Any) -> dict:
    """The roll-up for competency 1, or {} when there is no usable evidence."""
    out = roll_up(weighed(rows, as_of, **settings), rules(**settings))
    return out.iloc[0].to_dict() if len(out) else {}
