"""Cached figures (`ui.figures`): built once per content, and drawn exactly as built."""

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from charts.heatmap import team_gap_heatmap
from ui.figures import SettledFigure, cached_figure

CELLS = pd.DataFrame(
    {
        "name": ["Ada Lovelace", "Alan Turing"],
        "competency": ["SQL", "PY"],
        "competency_name": ["SQL", "Python"],
        "missing": ["level", "recency"],
        "required": [3.0, 2.0],
        "mastery": [1.5, float("nan")],
        "shortfall": [1.5, 0.2],
    }
)
NAMES = ["Ada Lovelace", "Alan Turing", "Grace Hopper"]
built: list[float] = []


def _spec(figure: go.Figure) -> str:
    """What `st.plotly_chart` sends to the browser for `figure`."""
    return pio.to_json(figure.to_dict(), validate=False)


def counted_bars(frame: pd.DataFrame, title: str) -> go.Figure:
    built.append(float(frame["value"].sum()))
    return go.Figure(go.Bar(x=frame["label"], y=frame["value"]), layout={"title": title})


def test_a_figure_is_built_once_for_the_same_content() -> None:
    built.clear()
    frame = pd.DataFrame({"label": ["a", "b"], "value": [1.0, 2.0]})
    first = cached_figure(counted_bars, frame, "Same")
    again = cached_figure(counted_bars, frame.copy(), "Same")
    assert again is first
    assert built == [3.0]


def test_different_content_or_arguments_build_a_new_figure() -> None:
    built.clear()
    frame = pd.DataFrame({"label": ["a", "b"], "value": [1.0, 2.0]})
    cached_figure(counted_bars, frame, "Other")
    changed = cached_figure(counted_bars, frame.assign(value=[1.0, 5.0]), "Other")
    retitled = cached_figure(counted_bars, frame, "Retitled")
    assert built == [3.0, 6.0, 3.0]
    assert _spec(changed) != _spec(retitled)
    assert retitled.to_dict()["layout"]["title"]["text"] == "Retitled"


def test_a_settled_figure_draws_exactly_what_was_built() -> None:
    finished = team_gap_heatmap(CELLS, NAMES)
    assert _spec(SettledFigure(finished)) == _spec(finished)
    assert _spec(cached_figure(team_gap_heatmap, CELLS, NAMES)) == _spec(finished)
