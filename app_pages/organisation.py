"""Organisation: headcount and learning activity across every job family and level."""

import streamlit as st

from charts.headcount import headcount_chart
from data_model.queries.organisation import RECENT_DAYS
from ui import data
from ui.context import page_context
from ui.formatting import whole

context = page_context()
totals = data.organisation_totals(context)
headcount = data.organisation_headcount(context)

st.title("Organisation")
st.caption("Everyone active on the roster, by job family and pathway level.")

with st.container(horizontal=True):
    st.metric("People", whole(totals.people), border=True)
    st.metric("Managers", whole(totals.managers), border=True)
    st.metric("Learning records", whole(totals.learning_records), border=True)
    st.metric(
        f"Records in the last {RECENT_DAYS} days", whole(totals.records_last_90_days), border=True
    )

if totals.people == 0:
    st.info(
        "No one is on the roster yet. Load people with `python -m loaders`, then reload.",
        icon=":material/lightbulb:",
    )
else:
    with st.container(border=True):
        st.subheader("Headcount by pathway level")
        st.caption(
            f"{whole(totals.job_families)} job families. Levels are numbered from the entry "
            "level up; hover a bar for its title in that family."
        )
        st.plotly_chart(headcount_chart(headcount), width="stretch")
    st.dataframe(
        headcount,
        hide_index=True,
        width="stretch",
        height="content",
        placeholder="—",
        column_config={
            "job_family": st.column_config.TextColumn("Job family"),
            "rank": st.column_config.NumberColumn("Level", format="%d"),
            "level": st.column_config.TextColumn("Title"),
            "headcount": st.column_config.NumberColumn("People", format="%d"),
        },
    )
