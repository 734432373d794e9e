"""How far a person's evidence reaches on each competency."""

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from charts.style import CATEGORY_COLOURS, CATEGORY_ORDER, ROW_HEIGHT, apply_style


def highest_level_chart(evidence: pd.DataFrame) -> go.Figure:
    """Horizontal bars of the highest level shown per competency, grouped by category.

    Takes `competency_evidence` rows. A competency with evidence but no level shown yet
    keeps its label with no bar, so it is visible that something is there.
    """
    rank = {category: position for position, category in enumerate(CATEGORY_ORDER)}
    rows = evidence.assign(
        order=evidence["category"].map(rank), category=evidence["category"].str.capitalize()
    ).sort_values(["order", "competency"])
    figure = px.bar(
        rows,
        x="highest_level",
        y="competency",
        color="category",
        orientation="h",
        color_discrete_map={name.capitalize(): colour for name, colour in CATEGORY_COLOURS.items()},
        category_orders={"category": [name.capitalize() for name in CATEGORY_ORDER]},
        custom_data=["records", "code"],
        labels={"highest_level": "Highest level shown", "competency": "", "category": ""},
    )
    figure.update_traces(
        hovertemplate="%{y} (%{customdata[1]})<br>Highest level %{x}<br>"
        "%{customdata[0]} records<extra></extra>"
    )
    scale_max = int(rows["scale_max"].max()) if len(rows) else 5
    figure.update_xaxes(range=[0, scale_max], dtick=1)
    figure.update_yaxes(
        categoryorder="array", categoryarray=list(rows["competency"])[::-1], title=None
    )
    return apply_style(figure, height=80 + ROW_HEIGHT * len(rows))
