"""The competencies holding most people back from their next level."""

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from charts.style import MUTED, PRIMARY, ROW_HEIGHT, apply_style

KINDS = {"level_gaps": "Short of the level", "evidence_gaps": "Short of evidence"}


def top_gaps_chart(top: pd.DataFrame) -> go.Figure:
    """Horizontal bars from `groups.GroupProgress.top_gaps` rows, most people first, split into
    those below the required level and those at it but without enough recent, trusted evidence."""
    rows = top.melt(
        id_vars=["competency", "name"],
        value_vars=list(KINDS),
        var_name="kind",
        value_name="count",
    ).assign(kind=lambda frame: frame["kind"].map(KINDS))
    figure = px.bar(
        rows,
        x="count",
        y="name",
        color="kind",
        orientation="h",
        color_discrete_map={KINDS["level_gaps"]: PRIMARY, KINDS["evidence_gaps"]: MUTED},
        category_orders={"name": list(top["name"]), "kind": list(KINDS.values())},
        custom_data=["competency"],
        labels={"count": "People held back", "name": "", "kind": ""},
    )
    figure.update_traces(hovertemplate="%{y} (%{customdata[0]})<br>%{x} people<extra></extra>")
    return apply_style(figure, height=110 + ROW_HEIGHT * len(top))
