"""The group view of calibration shared by My team and Organisation: where self-ratings run
above or below what everyone else's evidence shows, per competency."""

import pandas as pd
import streamlit as st

from charts.calibration import group_calibration_chart
from ui.figures import cached_figure
from ui.formatting import percent_column, percentages, whole

NOTE = (
    "Self-ratings are useful signals, never proof. Per competency, the mean gap between "
    "people's self-ratings and what others' evidence (managers, mentors, assessments, courses) "
    "shows, among those with both; a gap of half a level or more counts as rating high or low."
)


def show_group_calibration(calibration: pd.DataFrame, who: str) -> None:
    """Chart and table of `group_calibration` rows; `who` names the group ("your reports")."""
    st.caption(NOTE)
    if calibration.empty:
        st.info(
            f"None of {who} has both a self-rating and other evidence on the same competency "
            "yet. Encourage self-ratings on the My progress page; attestations and completed "
            "activities supply the other side.",
            icon=":material/lightbulb:",
        )
        return
    st.plotly_chart(
        cached_figure(group_calibration_chart, calibration),
        width="stretch",
        alt="Dot plot per competency of the mean gap between self-ratings and others' "
        "evidence: dots right of the dashed zero line rate themselves high, left low.",
    )
    st.dataframe(
        percentages(calibration, "share_high", "share_low"),
        hide_index=True,
        width="stretch",
        column_order=["name", "people", "mean_gap", "share_high", "share_low"],
        column_config={
            "name": st.column_config.TextColumn("Competency", width="medium"),
            "people": st.column_config.NumberColumn("People with both", format="%d"),
            "mean_gap": st.column_config.NumberColumn(
                "Mean gap", format="%+.2f", help="Self-rating minus others' evidence, in levels."
            ),
            "share_high": percent_column("Rate high"),
            "share_low": percent_column("Rate low"),
        },
    )
    st.caption(
        f"Table of {whole(len(calibration))} competencies: how many of {who} have both a "
        "self-rating and other evidence, the mean gap, and the shares rating high and low."
    )
