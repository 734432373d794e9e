"""A learner's mastery over time and their evidence on a timeline."""

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from charts.style import MUTED, PRIMARY, apply_style

VERIFICATION_COLOURS = {
    "Verified": "#3F9C4A",
    "Pending": "#D98E32",
    "Not needed": PRIMARY,
    "Declined": MUTED,
}


def mastery_history_chart(
    history: pd.DataFrame, names: dict[str, str], scale_max: float
) -> go.Figure:
    """One line per competency of mastery at each month end (`mastery_history` rows);
    `names` gives each code's name for the legend."""
    rows = history.assign(
        competency=history["competency"].map(names).fillna(history["competency"]),
        month=pd.to_datetime(history["month"]),
    ).sort_values(["competency", "month"])
    figure = px.line(
        rows,
        x="month",
        y="mastery",
        color="competency",
        markers=True,
        labels={"month": "", "mastery": "Mastery", "competency": ""},
    )
    figure.update_traces(hovertemplate="%{fullData.name}<br>%{x|%b %Y}: %{y:.2f}<extra></extra>")
    figure.update_yaxes(range=[0, scale_max], dtick=1)
    return apply_style(figure, height=380)


def evidence_timeline_chart(timeline: pd.DataFrame) -> go.Figure:
    """Each record as a dot in time, formal and informal on their own rows, coloured by
    verification state (`evidence_timeline` rows)."""
    rows = timeline.assign(
        kind=timeline["formal"].map({True: "Formal", False: "Informal"}),
        state=timeline["verification"].str.replace("_", " ").str.capitalize(),
        source=timeline["source_kind"].str.replace("_", " "),
    )
    figure = px.strip(
        rows,
        x="occurred_at",
        y="kind",
        color="state",
        color_discrete_map=VERIFICATION_COLOURS,
        category_orders={"kind": ["Formal", "Informal"], "state": list(VERIFICATION_COLOURS)},
        custom_data=["what", "competencies", "source"],
        labels={"occurred_at": "", "kind": "", "state": ""},
    )
    figure.update_traces(
        hovertemplate="%{customdata[0]}<br>%{x|%d %b %Y} · %{customdata[2]}"
        "<br>%{customdata[1]}<extra></extra>",
        marker={"size": 9, "opacity": 0.8},
    )
    return apply_style(figure, height=260)
