"""My team: a manager's reports, how ready each is for their next level, the gaps between them,
and the two things only a manager can do: attest a skill, and vouch for informal learning."""

import pandas as pd
import streamlit as st

from charts.heatmap import team_gap_heatmap
from data_model.attestation import InvalidAttestation
from data_model.queries.team import QUIET_AFTER_DAYS, STATUS_LABELS
from data_model.verification import InvalidAnswer
from ui import team
from ui.audited import CSV_MIME, EXCEL_MIME, audited_download
from ui.calibration import show_group_calibration
from ui.context import page_context
from ui.errors import shown_as_messages
from ui.figures import cached_figure
from ui.formatting import DAY_FORMAT, as_text, day, percent_column, percentages, whole
from ui.progress_view import render_progress
from ui.viewer import PERSON_PARAMETER, person_from_query

TABLE_KEY = "team_table"
HEATMAP_KEY = "team_heatmap"
EXPORT_COLUMNS = {
    "name": "Name",
    "job_family": "Job family",
    "title": "Title",
    "level": "Level attained",
    "next_level": "Next level",
    "readiness": "Readiness",
    "status": "Status",
    "title_check": "Title and evidence",
    "last_evidence": "Last evidence",
    "pending_verification": "Pending verification",
    "gaps": "Gaps to next level",
}

context = page_context()
if team.competencies(context.database_url).empty:
    st.title("My team")
    st.info(
        "No framework is loaded yet, so there are no levels, readiness or gaps to show for "
        "your team. Ask your L&D team to load one on the Data page.",
        icon=":material/lightbulb:",
    )
    st.stop()
table = team.my_team_table(context)

st.title("My team")
st.caption(
    "Your direct reports: the level their evidence shows, how ready they are for the next "
    "one, and where the gaps are. Select a row to open a report's progress."
)

with st.container(horizontal=True):
    st.metric("Direct reports", whole(len(table)), border=True)
    st.metric(
        f"No evidence in the last {QUIET_AFTER_DAYS} days",
        whole(int((~table["recent_evidence"]).sum())),
        border=True,
    )
    st.metric(
        "Pending verification",
        whole(int(table["pending_verification"].sum())),
        border=True,
        help="Your reports' records still waiting for someone to confirm them.",
    )

if table.empty:
    st.info(
        "You have no active direct reports. If that is wrong, ask HR to correct your "
        "reports in the roster.",
        icon=":material/lightbulb:",
    )
else:
    counts = table["status"].value_counts()
    st.caption(
        "Status: "
        + ", ".join(
            f"{whole(int(counts[label]))} {label.lower()}"
            for label in STATUS_LABELS.values()
            if label in counts
        )
        + "."
    )

    st.subheader("Your reports")
    selection = st.dataframe(
        percentages(table, "readiness"),
        key=TABLE_KEY,
        on_select="rerun",
        selection_mode="single-row",
        hide_index=True,
        width="stretch",
        height="content",
        placeholder="—",
        column_order=list(EXPORT_COLUMNS),
        column_config={
            "name": st.column_config.TextColumn("Name"),
            "job_family": st.column_config.TextColumn("Job family"),
            **team.LEVEL_COLUMNS,
            "readiness": percent_column(
                "Readiness", bar=True, help="Weighted share of the next level's requirements met."
            ),
            "status": st.column_config.TextColumn(
                "Status",
                help="Ready, on track, stalled (readiness flat for 90 days) or at risk "
                "(a met requirement's evidence fading within 90 days).",
            ),
            "last_evidence": st.column_config.DatetimeColumn("Last evidence", format=DAY_FORMAT),
            "pending_verification": st.column_config.NumberColumn("Pending", format="%d"),
            "gaps": st.column_config.NumberColumn("Gaps", format="%d"),
        },
    )
    st.caption(
        f"Table of your {team.counted(len(table), 'direct report')} with title, level "
        "attained, next level, readiness as a bar from 0 to 100%, status, whether the "
        "evidence is above or below the title, last evidence, pending records and the number "
        "of gaps to their next level."
    )
    export = table[list(EXPORT_COLUMNS)].rename(columns=EXPORT_COLUMNS)
    excel, csv = team.spreadsheets(export, "My team")
    with st.container(horizontal=True):
        audited_download(
            "Download as Excel",
            excel,
            "my-team.xlsx",
            what="team",
            mime=EXCEL_MIME,
            key="team_excel",
            details={"rows": len(export)},
        )
        audited_download(
            "Download as CSV",
            csv,
            "my-team.csv",
            what="team",
            mime=CSV_MIME,
            key="team_csv",
            details={"rows": len(export)},
        )

    rows = selection.selection.rows
    previous = st.session_state.get("team_selected_row")
    if rows:
        st.query_params[PERSON_PARAMETER] = str(table.iloc[rows[0]]["person"])
    elif previous is not None:
        st.query_params.pop(PERSON_PARAMETER, None)
    st.session_state["team_selected_row"] = rows[0] if rows else None

drilled = person_from_query(context)
if drilled is not None:
    with st.container(border=True), shown_as_messages("My team"):
        st.caption(
            "A report's progress, read-only: what they see on their own My progress page, "
            "without their forms and downloads."
        )
        render_progress(context, drilled, read_only=True)
        if st.button("Close", icon=":material/close:", key="close_drill_down"):
            st.query_params.pop(PERSON_PARAMETER, None)
            st.session_state.pop(TABLE_KEY, None)
            st.session_state["team_selected_row"] = None
            st.rerun()

if not table.empty:
    st.subheader("Gaps to the next level")
    gaps = team.my_team_gaps(context)
    if gaps.empty:
        st.success(
            "No one in your team has a gap to their next level right now.",
            icon=":material/check_circle:",
        )
    else:
        names = table["name"].tolist()
        chosen = st.plotly_chart(
            cached_figure(team_gap_heatmap, gaps, names),
            width="stretch",
            key=HEATMAP_KEY,
            on_select="rerun",
            selection_mode="points",
            alt="Heatmap of your reports by competency; darker cells are bigger gaps to the "
            "next level, blank cells no gap.",
        )
        st.caption(
            f"Reports by competency: {team.counted(len(gaps), 'gap')} across "
            f"{team.counted(gaps['person_id'].nunique(), 'report')}. Darker is further below the "
            "requirement; the palest cells are met in level but short of fresh or trusted "
            "evidence. Click a cell, or pick one below, to see the evidence behind it."
        )
        points = chosen["selection"]["points"] if chosen else []
        clicked = (points[0]["y"], points[0]["x"]) if points else None
        labels = {
            (row.name, row.competency): f"{row.name} · {row.competency_name}"
            for row in gaps.itertuples(index=False)
        }
        if clicked in labels and clicked != st.session_state.get("team_heatmap_clicked"):
            st.session_state["explain_gap"] = clicked
        st.session_state["team_heatmap_clicked"] = clicked
        cell = st.selectbox(
            "Explain a gap",
            list(labels),
            index=None,
            format_func=labels.__getitem__,
            placeholder="Choose a report and competency",
            key="explain_gap",
        )
        if cell is not None:
            person_id = int(table.loc[table["name"] == cell[0], "person_id"].iloc[0])
            team.show_explanation(team.explanation(context, person_id, cell[1]), cell[0])

    st.subheader("Their learning goals")
    goals = team.team_goals(context, tuple(int(i) for i in table["person_id"]))
    if goals.empty:
        st.info(
            "None of your reports has set a learning goal yet. A goal (a competency to a "
            "level, or a role, by a date) is set on their own My progress page; a "
            "conversation about where they want to go is a good start.",
            icon=":material/flag:",
        )
    else:
        names = dict(zip(table["person_id"], table["name"], strict=True))
        st.dataframe(
            percentages(goals.assign(name=goals["person_id"].map(names)), "progress"),
            hide_index=True,
            width="stretch",
            column_order=["name", "target", "target_date", "progress", "status", "overdue"],
            column_config={
                "name": st.column_config.TextColumn("Name"),
                "target": st.column_config.TextColumn("Goal"),
                "target_date": st.column_config.DateColumn("By", format=DAY_FORMAT),
                "progress": percent_column("Progress", bar=True),
                "status": st.column_config.TextColumn("Status"),
                "overdue": st.column_config.CheckboxColumn("Overdue"),
            },
        )
        st.caption(
            f"Table of your reports' {team.counted(len(goals), 'learning goal')} with the "
            "target date, progress toward each as a bar, status and whether it is overdue."
        )

    st.subheader("Self-ratings against the evidence")
    if st.toggle(
        "Compare your reports' self-ratings with the evidence",
        key="team_calibration",
        help="Reads every report's records, so it is worked out only when asked for.",
    ):
        show_group_calibration(team.team_calibration(context), "your reports")

    st.subheader("Attest a skill")
    st.caption(
        "Rate a report on a competency from what you have seen them do. The rating counts as "
        "verified evidence from you, weighed as an attestation."
    )
    scales = team.competencies(context.database_url)
    if scales.empty:
        st.info(
            "No framework is loaded yet, so there is nothing to rate against. Ask your L&D "
            "team to load one on the Data page.",
            icon=":material/lightbulb:",
        )
    else:
        people = dict(zip(table["person_id"], table["name"], strict=True))
        competency_names = dict(zip(scales["competency_id"], scales["name"], strict=True))
        with st.form("attestation", clear_on_submit=True):
            who = st.selectbox(
                "Report", list(people), format_func=people.__getitem__, key="attest_report"
            )
            what = st.selectbox(
                "Competency",
                list(competency_names),
                format_func=competency_names.__getitem__,
                key="attest_competency",
            )
            scale = scales.set_index("competency_id").loc[what]
            rating = st.number_input(
                "Rating",
                min_value=float(scale["scale_min"]),
                max_value=float(scale["scale_max"]),
                value=None,
                step=0.5,
                format="%.1f",
                placeholder=f"From {scale['scale_min']} to {scale['scale_max']}",
                key="attest_rating",
                help="On the framework's scale: "
                + ", ".join(f"{level} {label}" for level, label in scale["scale_labels"].items()),
            )
            note = st.text_area(
                "What you saw",
                placeholder="The work, the date, what it showed",
                max_chars=2000,
                key="attest_note",
            )
            submitted = st.form_submit_button("Record attestation", type="primary")
        if submitted:
            try:
                done = team.record_attestation(context, int(who), int(what), rating, note)
            except InvalidAttestation as problem:
                st.warning(str(problem), icon=":material/edit_note:")
            else:
                found = team.explanation(
                    context,
                    done.person_id,
                    str(scales.set_index("competency_id").loc[what, "code"]),
                )
                mastery = found.summary.get("mastery")
                st.success(
                    f"Recorded: {as_text(people[who])} rated {rating:g} on "
                    f"{as_text(competency_names[what])}. "
                    f"Their mastery there is now {mastery:.1f}.",
                    icon=":material/verified:",
                )

st.subheader("Verification inbox")
requests = team.inbox(context)
if requests.empty:
    st.info(
        "Nothing is waiting for you to vouch for. When someone logs informal learning and "
        "names you as verifier, it appears here.",
        icon=":material/inbox:",
    )
else:
    st.dataframe(
        requests,
        hide_index=True,
        width="stretch",
        column_order=["person", "activity", "competency", "occurred_at", "notes", "link"],
        column_config={
            "person": st.column_config.TextColumn("Who"),
            "activity": st.column_config.TextColumn("Activity"),
            "competency": st.column_config.TextColumn("Competency"),
            "occurred_at": st.column_config.DatetimeColumn("When", format=DAY_FORMAT),
            "notes": st.column_config.TextColumn("What they wrote"),
            "link": st.column_config.LinkColumn("Link"),
        },
    )
    st.caption(
        f"{team.counted(len(requests), 'record')} waiting for your word, oldest first, with "
        "who logged them, the activity or competency, when, their note and any link."
    )
    choices = {
        int(row.record_id): f"{row.person} · {row.activity or row.competency} · "
        f"{day(row.occurred_at)}"
        for row in requests.itertuples(index=False)
    }
    with st.form("verification", clear_on_submit=True):
        record_id = st.selectbox(
            "Record", list(choices), format_func=choices.__getitem__, key="verify_record"
        )
        verdict = st.radio(
            "Your answer", ["Accept", "Decline"], horizontal=True, key="verify_answer"
        )
        reason = st.text_area(
            "Reason for declining",
            placeholder="What you did not see, or what would change your mind",
            max_chars=1000,
            key="verify_reason",
        )
        answered = st.form_submit_button("Send answer", type="primary")
    if answered:
        try:
            answer = team.answer_request(context, int(record_id), verdict == "Accept", reason)
        except InvalidAnswer as problem:
            st.warning(str(problem), icon=":material/edit_note:")
        else:
            st.success(
                f"{'Accepted' if verdict == 'Accept' else 'Declined'}: "
                f"{as_text(choices[int(record_id)])}. Mastery updated on "
                f"{team.counted(answer.pairs_refreshed, 'competency', 'competencies')}.",
                icon=":material/task_alt:",
            )

if not table.empty:
    st.subheader("Candidates for an open role")
    st.caption(
        "Everyone in your part of the organisation, ranked by readiness for a level of any "
        "job family, with what each would still need."
    )
    levels = team.roles(context.database_url)
    if levels.empty:
        st.info(
            "No pathways are loaded yet, so there are no roles to rank people for. Ask your "
            "L&D team to load a framework with its pathways.",
            icon=":material/lightbulb:",
        )
    else:
        families = dict(zip(levels["code"], levels["job_family"], strict=False))
        roles = {
            (row.code, int(row.rank)): f"{row.level} (level {row.rank}, {row.job_family})"
            for row in levels.itertuples(index=False)
        }
        role = st.selectbox(
            "Open role",
            list(roles),
            index=None,
            format_func=roles.__getitem__,
            placeholder="Choose a job family and level",
            key="open_role",
        )
        if role is not None:
            found = team.role_candidates(context, role[0], role[1])
            if not found:
                st.info(
                    "No one you can see is below that level in its job family, or in "
                    "another family: there are no internal candidates to rank.",
                    icon=":material/lightbulb:",
                )
            else:
                ranked = pd.DataFrame(
                    {
                        "name": [c.name for c in found],
                        "job_family": [families.get(c.job_family or "") for c in found],
                        "readiness": [c.readiness for c in found],
                        "ready": [c.ready for c in found],
                        "gaps": [", ".join(g.name for g in c.gaps) or "None" for c in found],
                        "hours": [c.catalogue_hours for c in found],
                    }
                )
                st.dataframe(
                    percentages(ranked, "readiness"),
                    hide_index=True,
                    width="stretch",
                    column_config={
                        "name": st.column_config.TextColumn("Name"),
                        "job_family": st.column_config.TextColumn("Job family now"),
                        "readiness": percent_column("Readiness", bar=True),
                        "ready": st.column_config.CheckboxColumn("Ready"),
                        "gaps": st.column_config.TextColumn("Gaps"),
                        "hours": st.column_config.NumberColumn(
                            "Catalogue hours to close",
                            format="%.0f",
                            help="Blank when the catalogue has nothing that closes a gap.",
                        ),
                    },
                )
                st.caption(
                    f"The {team.counted(len(ranked), 'best-placed candidate')} for "
                    f"{as_text(roles[role])}, "
                    "highest readiness first, with their gaps and the catalogue hours to "
                    "close them."
                )
