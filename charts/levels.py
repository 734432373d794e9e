"""Level distribution per job family: by job title, or by the level people's evidence attains."""

import pandas as pd
import plotly.graph_objects as go

from charts.headcount import headcount_chart


def level_distribution_chart(levels: pd.DataFrame, count: str) -> go.Figure:
    """Stacked bars per job family from `organisation.levels_by_family` rows, counting
    `count` ("headcount" by title, "attained" by evidence). Below the first level and off the
    pathway are grey, as in the headcount chart; an off-pathway row with no one is left out."""
    rows = levels.assign(
        rank=levels["rank"].where(levels["rank"].ne(0).fillna(True)),
        headcount=levels[count],
    )
    shown = rows[rows["rank"].notna() | rows["headcount"].gt(0)]
    return headcount_chart(shown[["job_family", "rank", "level", "headcount"]])
