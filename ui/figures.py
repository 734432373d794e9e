"""Plotly figures built once per input and reused by every rerun and every session.

Building a plotly figure validates each property it is given and copies the template in, which
cost far more than the cached reads behind it: on a warm rerun of My progress it was two thirds
of the run. `cached_figure` keeps the built figure in `st.cache_resource`, keyed by the builder
and the values it was given (DataFrames by their content), so a rerun with the same data only
serialises it. A figure is shared, not copied, between sessions: nothing may change a figure
that came from here (`st.plotly_chart` only reads it).
"""

import pickle
from collections.abc import Callable, Hashable
from typing import Any, ParamSpec

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

TTL = "30m"
MAX_ENTRIES = 512
"""Figures are keyed by content, so an entry is never stale; the limits only bound memory."""

Inputs = ParamSpec("Inputs")


class SettledFigure(go.Figure):
    """A finished figure whose dict form is taken once.

    `st.plotly_chart` asks a figure for `to_dict()` on every call, and plotly answers with a
    deep copy that it then walks to encode arrays: a millisecond or more per chart per rerun,
    for a result that cannot change once the figure is finished.
    """

    def __init__(self, finished: go.Figure) -> None:
        super().__init__()
        self._settled = finished.to_dict()

    def to_dict(self) -> dict[str, Any]:
        return self._settled


def frame_bytes(frame: pd.DataFrame) -> bytes:
    """A frame's content as bytes to hash (`hash_funcs={pd.DataFrame: frame_bytes}`): a dozen
    times quicker than Streamlit's own frame hash, and two frames that differ in any value,
    type or label never give the same bytes."""
    return pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL)


@st.cache_resource(
    ttl=TTL,
    max_entries=MAX_ENTRIES,
    show_spinner=False,
    hash_funcs={pd.DataFrame: frame_bytes},
)
def _built(
    name: str,
    _builder: Callable[..., go.Figure],
    arguments: tuple[Any, ...],
    keywords: tuple[tuple[str, Hashable], ...],
) -> SettledFigure:
    return SettledFigure(_builder(*arguments, **dict(keywords)))


def cached_figure(
    builder: Callable[Inputs, go.Figure], *arguments: Inputs.args, **keywords: Inputs.kwargs
) -> go.Figure:
    """`builder(*arguments, **keywords)`, built once for these inputs and then shared."""
    return _built(
        f"{builder.__module__}.{builder.__qualname__}",
        builder,
        arguments,
        tuple(sorted(keywords.items())),
    )
