"""How the organisation is spread over job families and pathway levels."""

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from charts.style import MUTED, apply_style, ordered_shades

FAMILY_ROW_HEIGHT = 56


def headcount_chart(headcount: pd.DataFrame) -> go.Figure:
    """One stacked bar per job family, a segment per pathway level, darker the more senior.

    Takes `organisation_headcount` rows. Levels have different titles in each family, so
    segments are coloured by rank and the title shows on hover; people off the pathway are grey.
    """
    ranks = sorted(int(rank) for rank in headcount["rank"].dropna().unique())
    bands = [f"Level {rank}" for rank in ranks]
    rows = headcount.assign(
        band=[
            f"Level {int(rank)}" if pd.notna(rank) else level
            for rank, level in zip(headcount["rank"], headcount["level"], strict=True)
        ]
    )
    off_pathway = [band for band in rows["band"].unique() if band not in bands]
    colours = dict(zip(bands, ordered_shades(len(bands)), strict=True))
    colours.update(dict.fromkeys(off_pathway, MUTED))
    families = list(dict.fromkeys(rows["job_family"]))
    figure = px.bar(
        rows,
        x="headcount",
        y="job_family",
        color="band",
        orientation="h",
        color_discrete_map=colours,
        category_orders={"band": bands + off_pathway, "job_family": families},
        custom_data=["level"],
        labels={"job_family": "", "headcount": "People", "band": ""},
    )
    figure.update_traces(hovertemplate="%{y}<br>%{customdata[0]}: %{x} people<extra></extra>")
    return apply_style(figure, height=110 + FAMILY_ROW_HEIGHT * len(families))
