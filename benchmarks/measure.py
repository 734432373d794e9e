"""Timing and memory helpers shared by every benchmark."""

import resource
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def timed(action: Callable[[], T]) -> tuple[float, T]:
    """Seconds of wall time `action` took, and what it returned."""
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def best_of(runs: int, action: Callable[[], object]) -> float:
    """The fastest of `runs` warm runs: what a user waits once caches and pages are warm."""
    return min(timed(action)[0] for _ in range(runs))


def peak_rss_mb() -> float:
    """The most memory this process has held at once (Linux reports kibibytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
