"""A small seeded demo organisation read at a frozen moment, for tests that pin the whole
result of an analytics read: the same data and the same clock give the same figures on every
run, day and backend, so a faster implementation can be checked against the figures the
straightforward one gave."""

import sys
from datetime import UTC, datetime, tzinfo

import pandas as pd
import pytest
from sqlalchemy import Engine

from loaders.demo import seed_demo_organisation

FROZEN_AT = datetime(2026, 6, 15, 9, 30, tzinfo=UTC)
DEMO_PEOPLE = 150
DEMO_RECORDS_PER_PERSON = 40
DEMO_SEED = 7


class _FrozenDatetime(datetime):
    """`datetime` whose now() is always FROZEN_AT."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:
        return FROZEN_AT.astimezone(tz) if tz else FROZEN_AT.replace(tzinfo=None)


def freeze_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every loaded module of the app that reads the clock through `datetime` reads FROZEN_AT
    until the test ends."""
    for name, module in list(sys.modules.items()):
        ours = name.split(".")[0] in ("data_model", "loaders")
        if ours and getattr(module, "datetime", None) is datetime:
            monkeypatch.setattr(module, "datetime", _FrozenDatetime)


def seed_frozen_demo(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The demo organisation (DEMO_PEOPLE people, records up to FROZEN_AT) with the clock
    frozen at FROZEN_AT, mastery rolled up as of then."""
    freeze_clock(monkeypatch)
    seed_demo_organisation(
        engine,
        people=DEMO_PEOPLE,
        records_per_person=DEMO_RECORDS_PER_PERSON,
        seed=DEMO_SEED,
        today=FROZEN_AT.date(),
    )
    return engine


def assert_rows(frame: pd.DataFrame, expected: list[tuple]) -> None:
    """`frame`'s rows, in order, are `expected`: text, flags and missing values exactly,
    numbers to 1e-8 (the pins are rounded to 9 decimals)."""
    rows = [tuple(None if pd.isna(value) else value for value in row)
            for row in frame.itertuples(index=False)]  # fmt: skip
    assert len(rows) == len(expected), rows
    for row, wanted in zip(rows, expected, strict=True):
        assert row == pytest.approx(wanted, abs=1e-8), row
