"""Mastery against a pathway level's requirements, as a radar per group of competencies."""

import pandas as pd
import plotly.graph_objects as go

from charts.style import MUTED, PRIMARY, ROW_HEIGHT, apply_style

MET = "#5B8E7D"
SHORT = "#C8553D"
MIN_SPOKES = 3
"""A radar needs three spokes to enclose anything; fewer are drawn as bars."""


def requirements_radar(requirements: pd.DataFrame, scale_max: float, title: str) -> go.Figure:
    """Mastery (filled) against the required level (dashed) per competency.

    Takes `queries.learner.level_requirements` rows. Missing mastery is drawn at 0; the hover
    says whether each requirement is met and, if not, what it lacks.
    """
    rows = requirements.assign(
        shown=requirements["mastery"].fillna(0.0),
        state=[
            "met" if met else f"not met: needs {missing or 'level'}"
            for met, missing in zip(requirements["met"], requirements["missing"], strict=True)
        ],
    )
    if len(rows) < MIN_SPOKES:
        return _bars(rows, scale_max, title)
    names = [_wrapped(name) for name in rows["name"]]
    spokes = [*names, names[0]]

    def closed(column: str) -> list[float]:
        return [*rows[column], rows[column].iloc[0]]

    figure = go.Figure()
    figure.add_trace(
        go.Scatterpolar(
            r=closed("required"), theta=spokes, name="Required", mode="lines",
            line={"color": MUTED, "dash": "dash", "width": 2}, hoverinfo="skip",
        )
    )  # fmt: skip
    figure.add_trace(
        go.Scatterpolar(
            r=closed("shown"), theta=spokes, name="Mastery", mode="lines+markers",
            fill="toself", line={"color": PRIMARY},
            marker={"color": [MET if met else SHORT for met in closed("met")], "size": 9},
            customdata=list(zip(closed("required"), closed("state"), strict=True)),
            hovertemplate="%{theta}<br>Mastery %{r:.1f} of %{customdata[0]:g} required"
            "<br>%{customdata[1]}<extra></extra>",
        )
    )  # fmt: skip
    apply_style(figure, height=460)
    figure.update_layout(
        polar={"radialaxis": {"range": [0, scale_max], "dtick": 1, "angle": 90,
                              "tickfont": {"size": 10}},
               "angularaxis": {"tickfont": {"size": 11}}},
        legend={"orientation": "h", "yanchor": "top", "y": -0.05, "x": 0.5, "xanchor": "center"},
        margin={"l": 90, "r": 90, "t": 50, "b": 40},
        title={"text": title, "x": 0, "y": 0.98},
    )  # fmt: skip
    return figure


def _wrapped(name: str, width: int = 16) -> str:
    """A spoke label over as many lines as it needs, so no label runs off the chart."""
    lines: list[str] = []
    for word in name.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return "<br>".join(lines)


def _bars(rows: pd.DataFrame, scale_max: float, title: str) -> go.Figure:
    figure = go.Figure()
    figure.add_trace(
        go.Bar(
            x=rows["shown"], y=rows["name"], orientation="h", name="Mastery",
            marker={"color": [MET if met else SHORT for met in rows["met"]]},
            customdata=list(zip(rows["required"], rows["state"], strict=True)),
            hovertemplate="%{y}<br>Mastery %{x:.1f} of %{customdata[0]:g} required"
            "<br>%{customdata[1]}<extra></extra>",
        )
    )  # fmt: skip
    figure.add_trace(
        go.Scatter(
            x=rows["required"], y=rows["name"], mode="markers", name="Required",
            marker={"symbol": "line-ns-open", "size": 24, "color": MUTED, "line": {"width": 3}},
            hoverinfo="skip",
        )
    )  # fmt: skip
    figure.update_layout(title={"text": title})
    figure.update_xaxes(range=[0, scale_max], dtick=1)
    return apply_style(figure, height=120 + ROW_HEIGHT * len(rows))
