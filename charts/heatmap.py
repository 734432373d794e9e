"""Gap heatmaps: rows (people or departments) by competencies, darker the bigger the gap."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts.style import apply_style

GAP_SCALE = [[0.0, "#FCE9D4"], [0.5, "#E08E45"], [1.0, "#8C2D04"]]
"""Light to dark orange: gaps read as warm, apart from the blue used for attainment."""
CELL_HEIGHT = 30
MIN_HEIGHT = 220


def team_gap_matrix(cells: pd.DataFrame, names: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """From `team.gap_cells` rows: shortfall and hover text, one row per name in `names` (in
    that order, so people without gaps still show as an empty row) by competency code."""
    codes = sorted(cells["competency"].unique())
    shortfall = (
        cells.pivot_table(index="name", columns="competency", values="shortfall", aggfunc="max")
        .reindex(index=names, columns=codes)
        .astype(float)
    )
    text = cells.assign(
        hover=[
            f"{name}: {missing} (requires {required:g}, has "
            f"{'no evidence' if mastery != mastery else f'{mastery:.1f}'})"
            for name, missing, required, mastery in zip(
                cells["competency_name"], cells["missing"], cells["required"], cells["mastery"],
                strict=True,
            )
        ]
    )  # fmt: skip
    hover = (
        text.pivot_table(index="name", columns="competency", values="hover", aggfunc="first")
        .reindex(index=names, columns=codes)
        .fillna("no gap")
    )
    return shortfall, hover


def gap_heatmap(
    values: pd.DataFrame,
    hover: pd.DataFrame | None,
    *,
    colour_title: str,
    value_format: str,
    zmax: float | None = None,
) -> go.Figure:
    """One cell per row and competency, coloured by `values` (NaN: no gap, left blank).

    `hover` holds a sentence per cell; `value_format` is a d3 format for the colour bar and
    hover ("%" shares, ".1f" levels). Plotly cannot select a heatmap cell by clicking, so every
    gap cell also carries an invisible square marker: clicking it selects that point, which
    `st.plotly_chart(on_select=...)` reports with the cell's x (competency) and y (row).
    """
    z = values.to_numpy(float)
    finite = z[np.isfinite(z)]
    top = zmax if zmax is not None else (float(finite.max()) if finite.size else 1.0)
    rows, columns = np.nonzero(np.isfinite(z))
    if hover is not None:
        text = hover.to_numpy(str)[rows, columns]
        template = "%{y} · %{x}<br>%{customdata}<extra></extra>"
    else:
        text = np.array([format(value, value_format) for value in z[rows, columns]])
        template = f"%{{y}} · %{{x}}<br>{colour_title}: %{{customdata}}<extra></extra>"
    figure = go.Figure(
        [
            go.Heatmap(
                z=z,
                x=list(values.columns),
                y=list(values.index),
                colorscale=GAP_SCALE,
                zmin=0,
                zmax=max(top, 1e-9),
                xgap=2,
                ygap=2,
                hoverinfo="skip",
                colorbar={"title": {"text": colour_title}, "tickformat": value_format},
            ),
            go.Scatter(
                x=[values.columns[k] for k in columns],
                y=[values.index[k] for k in rows],
                mode="markers",
                marker={"symbol": "square", "size": CELL_HEIGHT - 6, "opacity": 0},
                customdata=text,
                hovertemplate=template,
                showlegend=False,
            ),
        ]
    )
    figure.update_yaxes(autorange="reversed", title=None)
    figure.update_xaxes(side="top", title=None, tickangle=-45)
    figure.update_layout(plot_bgcolor="white", clickmode="event+select")
    return apply_style(figure, height=max(MIN_HEIGHT, 140 + CELL_HEIGHT * len(values)))


def team_gap_heatmap(cells: pd.DataFrame, names: list[str]) -> go.Figure:
    """The team's gap heatmap from `team.gap_cells` rows: `team_gap_matrix` drawn in levels."""
    shortfall, hover = team_gap_matrix(cells, names)
    return gap_heatmap(shortfall, hover, colour_title="Levels short", value_format=".1f")
