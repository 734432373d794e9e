"""My team: a manager's direct reports and how recent their evidence is."""

import streamlit as st

from data_model.queries.team import QUIET_AFTER_DAYS
from ui import data
from ui.context import page_context
from ui.formatting import DAY_FORMAT, whole

context = page_context()
team = data.team_overview(context, context.person_id)

st.title("My team")
st.caption("Your direct reports and the evidence they have built over the last year.")

with st.container(horizontal=True):
    st.metric("Direct reports", whole(len(team)), border=True)
    st.metric(
        f"No evidence in the last {QUIET_AFTER_DAYS} days",
        whole(int((~team["evidence_last_180_days"]).sum())),
        border=True,
    )
    st.metric(
        "Pending verification",
        whole(int(team["pending_verification"].sum())),
        border=True,
        help="Your reports' records still waiting for someone to confirm them.",
    )

if team.empty:
    st.info(
        "You have no active direct reports. If that is wrong, ask HR to correct your "
        "reports in the roster.",
        icon=":material/lightbulb:",
    )
else:
    st.dataframe(
        team,
        hide_index=True,
        width="stretch",
        height="content",
        placeholder="—",
        column_order=[
            "name",
            "title",
            "records_last_365_days",
            "last_evidence",
            "evidence_last_180_days",
            "pending_verification",
            "job_family",
            "email",
        ],
        column_config={
            "name": st.column_config.TextColumn("Name"),
            "title": st.column_config.TextColumn("Title"),
            "job_family": st.column_config.TextColumn("Job family"),
            "records_last_365_days": st.column_config.NumberColumn(
                "Records, last year", format="%d"
            ),
            "last_evidence": st.column_config.DatetimeColumn("Last evidence", format=DAY_FORMAT),
            "evidence_last_180_days": st.column_config.CheckboxColumn(
                f"Evidence in {QUIET_AFTER_DAYS} days"
            ),
            "pending_verification": st.column_config.NumberColumn(
                "Pending", format="%d", help="Records awaiting verification."
            ),
            "email": st.column_config.TextColumn("Email"),
        },
    )
