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


MOST_NAMED = 3
"""How many records a dot's hover names before it says how many more there are."""


def _named(records: pd.Series) -> str:
    shown = "<br>".join(records.head(MOST_NAMED))
    more = len(records) - MOST_NAMED
    return shown + (f"<br>and {more} more" if more > 0 else "")


def timeline_dots(timeline: pd.DataFrame) -> pd.DataFrame:
    """One dot per day, kind (formal or informal) and verification state, with how many records
    it stands for: a yearly review leaves a dozen attestations on one day, and as separate
    dots they would sit on top of each other and look like one."""
    rows = timeline.assign(
        day=pd.to_datetime(timeline["occurred_at"]).dt.normalize(),
        kind=timeline["formal"].map({True: "Formal", False: "Informal"}),
        state=timeline["verification"].str.replace("_", " ").str.capitalize(),
    )
    dots = rows.groupby(["day", "kind", "state"], as_index=False, sort=True).agg(
        records=("what", "size"), named=("what", _named)
    )
    dots["label"] = dots["records"].map(lambda n: "1 record" if n == 1 else f"{n} records")
    return dots


def evidence_timeline_chart(timeline: pd.DataFrame) -> go.Figure:
    """The records in time, formal and informal on their own rows, coloured by verification
    state (`evidence_timeline` rows); records of one day share a dot sized by their number."""
    dots = timeline_dots(timeline)
    figure = px.scatter(
        dots,
        x="day",
        y="kind",
        color="state",
        size="records",
        size_max=22,
        color_discrete_map=VERIFICATION_COLOURS,
        category_orders={"kind": ["Formal", "Informal"], "state": list(VERIFICATION_COLOURS)},
        custom_data=["label", "named"],
        labels={"day": "", "kind": "", "state": ""},
    )
    figure.update_traces(
        hovertemplate="%{x|%d %b %Y} · %{customdata[0]}<br>%{customdata[1]}<extra></extra>",
        marker={"sizemin": 7, "opacity": 0.8},
    )
    return apply_style(figure, height=260)
