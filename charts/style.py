"""One look for every Pathwise chart: the palette and the layout they share."""

import plotly.graph_objects as go
from plotly.colors import sample_colorscale

PRIMARY = "#2A6F97"
MUTED = "#A9B4BE"
CATEGORY_COLOURS = {"technical": PRIMARY, "professional": "#D98E32", "values": "#5B8E7D"}
CATEGORY_ORDER = tuple(CATEGORY_COLOURS)
ROW_HEIGHT = 26
"""Pixels per bar in horizontal bar charts, so labels never overlap however many rows."""


def ordered_shades(count: int) -> list[str]:
    """`count` shades of the primary hue from light to dark, for ordered things like levels."""
    if count == 1:
        return [PRIMARY]
    return sample_colorscale("Blues", [0.35 + 0.6 * step / (count - 1) for step in range(count)])


def apply_style(figure: go.Figure, *, height: int) -> go.Figure:
    figure.update_layout(
        template="plotly_white",
        height=height,
        margin={"l": 8, "r": 8, "t": 40, "b": 8},
        font={"size": 13},
        legend={
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.02,
            "x": 0,
            "title": {"text": ""},
        },
        hoverlabel={"bgcolor": "white"},
        bargap=0.25,
    )
    return figure
