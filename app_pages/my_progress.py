"""My progress: the viewer's own evidence so far, competency by competency."""

import streamlit as st

from charts.evidence import highest_level_chart
from ui import data
from ui.context import page_context
from ui.formatting import DAY_FORMAT, day, where_they_sit, whole

context = page_context()
summary = data.person_summary(context, context.person_id)
totals = data.evidence_totals(context, context.person_id)
evidence = data.competency_evidence(context, context.person_id)

st.title("My progress")
st.caption(f"{summary.name} · {where_they_sit(summary)}")

with st.container(horizontal=True):
    st.metric("Competencies with evidence", whole(len(evidence)), border=True)
    st.metric("Learning records", whole(totals.records), border=True)
    st.metric("Last evidence", day(totals.last_evidence), border=True)
    st.metric("Pending verification", whole(totals.pending_verification), border=True)

if evidence.empty:
    st.info(
        "No evidence yet. Finish a course tagged to a competency, or ask your manager to "
        "attest a skill: it shows here once your L&D team has imported it.",
        icon=":material/lightbulb:",
    )
else:
    scale_max = int(evidence["scale_max"].max())
    with st.container(border=True):
        st.subheader("Highest level shown per competency")
        st.caption(
            "From completed or passed activities and direct ratings; declined records are "
            "left out. This is your evidence so far, not a mastery score."
        )
        st.plotly_chart(highest_level_chart(evidence), width="stretch")
    st.subheader("Evidence so far")
    st.dataframe(
        evidence.assign(category=evidence["category"].str.capitalize()),
        hide_index=True,
        width="stretch",
        height="content",
        placeholder="—",
        column_order=[
            "code",
            "competency",
            "category",
            "highest_level",
            "records",
            "formal",
            "informal",
            "last_evidence",
            "pending_verification",
        ],
        column_config={
            "code": st.column_config.TextColumn("Code", width="small"),
            "competency": st.column_config.TextColumn("Competency", width="medium"),
            "category": st.column_config.TextColumn("Category"),
            "highest_level": st.column_config.ProgressColumn(
                "Highest level shown",
                min_value=0,
                max_value=scale_max,
                format="%.1f",
                help=f"On the framework's scale of 0 to {scale_max}.",
            ),
            "records": st.column_config.NumberColumn("Records", format="%d"),
            "formal": st.column_config.NumberColumn(
                "Formal", format="%d", help="Courses, assessments and certifications."
            ),
            "informal": st.column_config.NumberColumn(
                "Informal", format="%d", help="Projects, mentoring, ratings and the like."
            ),
            "last_evidence": st.column_config.DatetimeColumn("Last evidence", format=DAY_FORMAT),
            "pending_verification": st.column_config.NumberColumn(
                "Pending verification", format="%d"
            ),
        },
    )
