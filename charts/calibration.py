"""Self-ratings beside what everyone else's evidence shows: one person's dumbbell per competency,
and for a group, where self-ratings run high or low."""

import pandas as pd
import plotly.graph_objects as go

from charts.style import MUTED, PRIMARY, ROW_HEIGHT, apply_style

SELF = "#D98E32"
HIGH = "#C8553D"
LOW = PRIMARY


def self_rating_chart(
    calibration: pd.DataFrame, scale_max: float, whose: str = "Your"
) -> go.Figure:
    """A dumbbell per competency from `person_calibration` rows: the others' evidence and the
    self-rating as two dots joined by a line whose length is the gap. `whose` starts the
    self-rating's legend entry ("Your", "Their")."""
    rows = calibration.iloc[::-1]
    figure = go.Figure()
    for row in rows.itertuples(index=False):
        figure.add_trace(
            go.Scatter(
                x=[row.others_mastery, row.self_rating], y=[row.name, row.name], mode="lines",
                line={"color": MUTED, "width": 3}, showlegend=False, hoverinfo="skip",
            )
        )  # fmt: skip
    figure.add_trace(
        go.Scatter(
            x=rows["others_mastery"], y=rows["name"], mode="markers", name="Others' evidence",
            marker={"color": PRIMARY, "size": 12},
            hovertemplate="%{y}<br>Others' evidence %{x:.1f}<extra></extra>",
        )
    )  # fmt: skip
    figure.add_trace(
        go.Scatter(
            x=rows["self_rating"], y=rows["name"], mode="markers", name=f"{whose} self-rating",
            marker={"color": SELF, "size": 12, "symbol": "diamond"},
            customdata=rows["gap"],
            hovertemplate="%{y}<br>Self-rating %{x:.1f} (gap %{customdata:+.1f})<extra></extra>",
        )
    )  # fmt: skip
    figure.update_xaxes(range=[0, scale_max], dtick=1, title="Level")
    return apply_style(figure, height=110 + ROW_HEIGHT * 1.5 * len(rows))


def group_calibration_chart(calibration: pd.DataFrame) -> go.Figure:
    """Mean gap per competency from `group_calibration` rows as a dot either side of zero:
    right where self-ratings run above the others' evidence, left where below."""
    rows = calibration.iloc[::-1]
    colours = [HIGH if gap > 0 else LOW for gap in rows["mean_gap"]]
    figure = go.Figure(
        go.Scatter(
            x=rows["mean_gap"], y=rows["name"], mode="markers",
            marker={"color": colours, "size": 12},
            customdata=list(zip(rows["people"], rows["share_high"], rows["share_low"],
                                strict=True)),
            hovertemplate="%{y}<br>Mean gap %{x:+.2f} over %{customdata[0]} people"
            "<br>%{customdata[1]:.0%} rate high, %{customdata[2]:.0%} low<extra></extra>",
        )
    )  # fmt: skip
    figure.add_vline(x=0, line={"color": MUTED, "dash": "dash"})
    figure.update_xaxes(title="Self-rating minus others' evidence (levels)", zeroline=False)
    return apply_style(figure, height=110 + ROW_HEIGHT * len(rows))
