"""Helpers for work over millions of rows."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Dialect


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for one bounded piece of bulk work.

    Reading, computing and writing a chunk of a million-row job creates millions of row tuples
    and dicts that hold no reference cycles; refcounting frees them all the same, while each
    automatic collection pass over them costs more than creating them (a quarter of a full
    mastery roll-up). Collection resumes, and catches up, when the chunk is done.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


DRIVER_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}
"""The positional placeholder of each DBAPI parameter style our drivers use."""


def driver_placeholder(dialect: Dialect) -> str:
    """The placeholder for a statement handed straight to the driver's executemany."""
    return DRIVER_PLACEHOLDERS[dialect.paramstyle]
