"""Programme effectiveness: mastery gained after a programme beside a comparison group."""

import pandas as pd
import plotly.graph_objects as go

from charts.style import MUTED, PRIMARY, ROW_HEIGHT, apply_style

SERIES = {"participant_gain": ("Completed it", PRIMARY),
          "comparison_gain": ("Same family and level, did not", MUTED)}  # fmt: skip


def programme_chart(kinds: pd.DataFrame) -> go.Figure:
    """Grouped horizontal bars per activity kind from `programmes.programme_effectiveness` rows
    (scope "kind", not suppressed): mean gain in scale levels of participants and comparison."""
    labels = kinds["kind"].str.replace("_", " ").str.capitalize()
    figure = go.Figure(
        [
            go.Bar(
                x=kinds[column],
                y=labels,
                name=name,
                orientation="h",
                marker_color=colour,
                hovertemplate=f"%{{y}}<br>{name}: %{{x:+.2f}} levels<extra></extra>",
            )
            for column, (name, colour) in SERIES.items()
        ]
    )
    figure.update_xaxes(title="Mean mastery gained (levels)", zeroline=True)
    figure.update_yaxes(autorange="reversed")
    figure.update_layout(barmode="group")
    return apply_style(figure, height=110 + 2 * ROW_HEIGHT * len(kinds))
