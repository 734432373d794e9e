"""Helpers for work over millions of rows."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


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
