"""Progression equity: how groups compare on readiness and on levelling up."""

import pandas as pd
import plotly.graph_objects as go

from charts.style import MUTED, PRIMARY, ROW_HEIGHT, apply_style

MEASURES = {"share_ready": ("Ready for their next level", PRIMARY),
            "level_up_rate": ("Levelled up in the last year", MUTED)}  # fmt: skip


def equity_chart(groups: pd.DataFrame) -> go.Figure:
    """Grouped horizontal bars per group from `equity.progression_equity` rows that are not
    suppressed; a measure left out for a small denominator shows no bar."""
    shown = groups[~groups["suppressed"]]
    figure = go.Figure(
        [
            go.Bar(
                x=shown[column],
                y=shown["group"],
                name=label,
                orientation="h",
                marker_color=colour,
                hovertemplate=f"%{{y}}<br>{label}: %{{x:.0%}}<extra></extra>",
            )
            for column, (label, colour) in MEASURES.items()
        ]
    )
    figure.update_xaxes(tickformat=".0%", range=[0, 1])
    figure.update_yaxes(autorange="reversed")
    figure.update_layout(barmode="group")
    return apply_style(figure, height=110 + 2 * ROW_HEIGHT * len(shown))
