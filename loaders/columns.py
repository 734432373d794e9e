"""Column-wise helpers for bulk imports: each distinct value of a column is worked on once.

A million-row export holds a few thousand people, dates and scores; looking each result up
in a dict (in C, through `map`) costs a fraction of calling a parser per row.
"""

from collections.abc import Callable, Hashable, Sequence
from typing import Any

INVALID = object()
"""What `each_distinct_once(..., refused=...)` gives for a value its function refuses."""


def each_distinct_once(
    values: Sequence[Hashable],
    compute: Callable[[Any], Any],
    refused: tuple[type[Exception], ...] = (),
) -> list[Any]:
    """`[compute(v) for v in values]`, computing each distinct value once; a value whose
    computation raises one of `refused` becomes INVALID."""
    results: dict[Any, Any] = {}
    for value in set(values):
        try:
            results[value] = compute(value)
        except refused:
            results[value] = INVALID
    return list(map(results.__getitem__, values))


def invalid_positions(column: Sequence[Any]) -> set[int]:
    """Where a column holds INVALID."""
    if INVALID not in column:
        return set()
    return {position for position, value in enumerate(column) if value is INVALID}
