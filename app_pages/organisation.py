"""Organisation: where people stand on their pathways across the organisation, what holds them
back, who to put in a programme, whether groups progress alike, and how fresh the data is."""

import streamlit as st

from charts.equity import equity_chart
from charts.gaps import top_gaps_chart
from charts.heatmap import gap_heatmap
from charts.levels import level_distribution_chart
from charts.programmes import programme_chart
from data_model.queries.equity import FEWER_THAN, MINIMUM_GROUP
from data_model.queries.organisation import RECENT_DAYS, OrganisationFilter, held_back_by
from ui import organisation as org
from ui import team
from ui.audited import CSV_MIME, EXCEL_MIME, audited_download
from ui.calibration import show_group_calibration
from ui.context import PageContext, page_context
from ui.figures import cached_figure
from ui.formatting import DAY_FORMAT, as_text, percent_column, percentages, whole
from ui.progress_view import render_progress

TOP_GAPS = 10
COHORT_EXPORT = {
    "person": "Employee id",
    "name": "Name",
    "department": "Department",
    "location": "Location",
    "title_level": "Title level",
    "attained_level": "Level attained",
    "next_level": "Next level",
    "readiness": "Readiness",
    "title_check": "Title and evidence",
    "missing": "What is missing",
}
HEATMAP_KEY = "department_heatmap"


IMPORT_COLUMNS = {
    "source": st.column_config.TextColumn("Source"),
    "last_import": st.column_config.DatetimeColumn("Last import", format=DAY_FORMAT),
    "file_name": st.column_config.TextColumn("File"),
    "imported_by": st.column_config.TextColumn("By"),
    "rows_loaded": st.column_config.NumberColumn("Rows loaded", format="localized"),
    "rows_rejected": st.column_config.NumberColumn("Rows rejected", format="localized"),
    "imports": st.column_config.NumberColumn("Imports so far", format="localized"),
    "days_since": st.column_config.NumberColumn("Days ago", format="%d"),
}


def freshness_section(context: PageContext, where: OrganisationFilter) -> None:
    """When each source was last imported, and who has no recent evidence."""
    with st.container(border=True):
        st.subheader("Data freshness")
        fresh = org.data_freshness(context, where)
        if fresh.imports.empty:
            st.info(
                "Nothing has been imported yet: load records on the Data page, or with "
                "`python -m loaders`, and their dates will show here.",
                icon=":material/lightbulb:",
            )
        else:
            st.dataframe(
                fresh.imports,
                hide_index=True,
                width="stretch",
                column_config=IMPORT_COLUMNS,
            )
            st.caption("Table of the latest applied import of each source, most recent first.")
        st.metric(
            f"No evidence in the last {fresh.quiet_days} days",
            whole(fresh.quiet_count),
            border=True,
            help="Active people matching the filters whose newest record is older than that, or "
            "who have none.",
        )
        if fresh.quiet_count:
            st.dataframe(
                fresh.quiet_people.drop(columns="person_id"),
                hide_index=True,
                width="stretch",
                placeholder="—",
                column_config={
                    "name": st.column_config.TextColumn("Name"),
                    "department": st.column_config.TextColumn("Department"),
                    "job_family": st.column_config.TextColumn("Job family"),
                    "manager": st.column_config.TextColumn("Manager"),
                    "last_evidence": st.column_config.DatetimeColumn(
                        "Last evidence", format=DAY_FORMAT
                    ),
                },
            )
            listed = len(fresh.quiet_people)
            st.caption(
                "Table of people without recent evidence, never any first"
                + (
                    f"; the first {whole(listed)} of {whole(fresh.quiet_count)}."
                    if listed < fresh.quiet_count
                    else "."
                )
            )


context = page_context()
choices = org.options(context)

st.title("Organisation")
st.caption(
    "Everyone active on the roster: the level their evidence attains, what holds them back "
    "from the next one, and how fresh the evidence is. Filter to look at one part."
)

with st.container(horizontal=True):
    family = st.selectbox(
        "Job family",
        list(choices.job_families),
        index=None,
        format_func=choices.job_families.__getitem__,
        placeholder="All job families",
        key="org_family",
    )
    department = st.selectbox(
        "Department",
        choices.departments,
        index=None,
        placeholder="All departments",
        key="org_department",
    )
    location = st.selectbox(
        "Location",
        choices.locations,
        index=None,
        placeholder="All locations",
        key="org_location",
    )
    level = st.selectbox(
        "Level",
        choices.levels,
        index=None,
        placeholder="All levels",
        key="org_level",
        format_func=lambda rank: f"Level {rank}",
    )
where = OrganisationFilter(job_family=family, department=department, location=location, level=level)
totals = org.totals(context, where)

if totals.people == 0:
    st.info(
        "No one matches these filters. Clear a filter to widen the view; if the whole "
        "roster is empty, load people on the Data page or with `python -m loaders`.",
        icon=":material/lightbulb:",
    )
    st.stop()

if team.competencies(context.database_url).empty:
    with st.container(horizontal=True):
        st.metric("People", whole(totals.people), border=True)
        st.metric("Learning records", whole(totals.learning_records), border=True)
    st.info(
        "No framework is loaded yet, so there are no levels, gaps or readiness to show. "
        "Load one on the Data page, or with `python -m loaders`, then reload.",
        icon=":material/lightbulb:",
    )
    freshness_section(context, where)
    st.stop()

progress = org.group(context, where)
with st.container(horizontal=True):
    st.metric("People", whole(totals.people), border=True)
    st.metric("Managers", whole(totals.managers), border=True)
    st.metric("Learning records", whole(totals.learning_records), border=True)
    st.metric(
        f"Records in the last {RECENT_DAYS} days", whole(totals.records_last_90_days), border=True
    )
    st.metric(
        "Ready for their next level",
        "—" if progress.share_ready is None else f"{progress.share_ready:.0%}",
        border=True,
        help="Of the people with a next level on their pathway, the share whose evidence "
        "already meets all of it.",
    )

with st.container(border=True):
    st.subheader("Levels by job family")
    basis = st.segmented_control(
        "Count people by",
        ["Evidence", "Job title"],
        default="Evidence",
        key="org_level_basis",
        help="Evidence: the highest level whose requirements their evidence meets. "
        "Job title: the level HR gives them.",
    )
    table = org.levels(context, where)
    column = "headcount" if basis == "Job title" else "attained"
    st.plotly_chart(
        cached_figure(level_distribution_chart, table, column),
        width="stretch",
        alt="Stacked bars, one per job family, of how many people are at each pathway level, "
        + ("by job title." if column == "headcount" else "by the level their evidence attains."),
    )
    st.caption(
        f"{team.counted(totals.job_families, 'job family', 'job families')}. Darker is more "
        "senior; grey is below the first level or off the pathway. Hover a bar for the "
        "level's title."
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        placeholder="—",
        column_config={
            "job_family": st.column_config.TextColumn("Job family"),
            "rank": st.column_config.NumberColumn("Level", format="%d"),
            "level": st.column_config.TextColumn("Title"),
            "headcount": st.column_config.NumberColumn("By job title", format="%d"),
            "attained": st.column_config.NumberColumn("By evidence", format="%d"),
        },
    )
    st.caption(
        "Table of people per job family and level, by their job title and by the level "
        "their evidence attains."
    )

with st.container(border=True):
    st.subheader("Top gaps")
    top = progress.top_gaps.head(TOP_GAPS)
    if top.empty:
        st.success(
            "No one here has a gap to their next level: everyone's evidence meets it, or "
            "they are at the top of their pathway.",
            icon=":material/check_circle:",
        )
    else:
        st.plotly_chart(
            cached_figure(top_gaps_chart, top),
            width="stretch",
            alt=f"Bar chart of the {len(top)} competencies holding most people back from "
            "their next level, split into short of the level and short of evidence.",
        )
        st.caption(
            f"The {len(top)} competencies that hold most people back. Blue: their mastery is "
            "below the requirement. Grey: it is met, but not by enough recent, trusted evidence."
        )

        st.markdown("**Department by competency**")
        departments = progress.department_gaps
        clicked = st.plotly_chart(
            cached_figure(
                gap_heatmap,
                departments,
                None,
                colour_title="Share with the gap",
                value_format=".0%",
                zmax=1.0,
            ),
            width="stretch",
            key=HEATMAP_KEY,
            on_select="rerun",
            selection_mode="points",
            alt="Heatmap of departments by competency; darker cells mean a larger share of "
            "the department has that competency as a gap to their next level.",
        )
        st.caption(
            "Each cell is the share of a department's people with a next level for whom the "
            "competency is a gap. Click a cell, or pick below, to see who and why."
        )
        points = clicked["selection"]["points"] if clicked else []
        cell = (points[0]["y"], points[0]["x"]) if points else None
        names = dict(zip(progress.top_gaps["competency"], progress.top_gaps["name"], strict=True))
        if cell and cell[1] in names and cell != st.session_state.get("org_heatmap_clicked"):
            st.session_state["org_explain_competency"] = cell[1]
        st.session_state["org_heatmap_clicked"] = cell
        code = st.selectbox(
            "Explain a gap",
            list(names),
            index=None,
            format_func=names.__getitem__,
            placeholder="Choose a competency",
            key="org_explain_competency",
        )
        if code is not None:
            in_department = cell[0] if cell and cell[1] == code else None
            who = held_back_by(progress, code, in_department)
            st.dataframe(
                who.assign(job_family=who["job_family"].map(choices.job_families))[
                    ["name", "department", "job_family", "missing"]
                ],
                hide_index=True,
                width="stretch",
                column_config={
                    "name": st.column_config.TextColumn("Name"),
                    "department": st.column_config.TextColumn("Department"),
                    "job_family": st.column_config.TextColumn("Job family"),
                    "missing": st.column_config.TextColumn("What is missing"),
                },
            )
            st.caption(
                f"The {team.counted(len(who), 'person', 'people')}"
                + (f" in {as_text(in_department)}" if in_department else "")
                + f" held back by {as_text(names[code])}, and what each is missing."
            )
            person = st.selectbox(
                "Whose evidence?",
                list(who["person_id"]),
                index=None,
                format_func=dict(zip(who["person_id"], who["name"], strict=True)).__getitem__,
                placeholder="Choose a person",
                key="org_explain_person",
            )
            if person is not None:
                name = str(who.loc[who["person_id"] == person, "name"].iloc[0])
                team.show_explanation(team.explanation(context, int(person), code), name)

with st.container(border=True):
    st.subheader("Cohort builder")
    st.caption(
        "Find the people of one job family to put in a programme: those at least this ready "
        "for their next level, and optionally held back by one competency."
    )
    with st.form("cohort"):
        cohort_family = st.selectbox(
            "Job family",
            list(choices.job_families),
            format_func=choices.job_families.__getitem__,
            key="cohort_family",
        )
        min_readiness = st.slider(
            "At least this ready", 0, 100, 50, step=5, format="%d%%", key="cohort_readiness"
        )
        gap_names = dict(
            zip(progress.top_gaps["competency"], progress.top_gaps["name"], strict=True)
        )
        missing = st.selectbox(
            "Held back by",
            list(gap_names),
            index=None,
            format_func=gap_names.__getitem__,
            placeholder="Any competency",
            key="cohort_missing",
        )
        built = st.form_submit_button("Build cohort", type="primary")
    if built or st.session_state.get("cohort_built"):
        st.session_state["cohort_built"] = True
        if cohort_family is None:
            st.info("Load a framework with job families first.", icon=":material/lightbulb:")
        else:
            members = org.cohort_of(context, cohort_family, min_readiness / 100, missing)
            if members.empty:
                st.info(
                    "No one fits. Lower the readiness, or choose another competency.",
                    icon=":material/lightbulb:",
                )
            else:
                named = org.levels_named(members, cohort_family, team.titles(context.database_url))
                chosen = st.dataframe(
                    percentages(named, "readiness"),
                    key="cohort_table",
                    on_select="rerun",
                    selection_mode="single-row",
                    hide_index=True,
                    width="stretch",
                    placeholder="—",
                    column_order=[
                        "name",
                        "department",
                        "location",
                        "title",
                        "level",
                        "next_level",
                        "readiness",
                        "title_check",
                        *(["missing"] if missing else []),
                    ],
                    column_config={
                        "name": st.column_config.TextColumn("Name"),
                        "department": st.column_config.TextColumn("Department"),
                        "location": st.column_config.TextColumn("Location"),
                        **team.LEVEL_COLUMNS,
                        "readiness": percent_column("Readiness", bar=True),
                        "missing": st.column_config.TextColumn("What is missing"),
                    },
                )
                st.caption(
                    f"Cohort of {team.counted(len(members), 'person', 'people')} in "
                    f"{as_text(choices.job_families[cohort_family])}, highest readiness first. "
                    "Select a row to see their progress and the evidence behind it."
                )
                export = members[list(COHORT_EXPORT)].rename(columns=COHORT_EXPORT)
                details = {
                    "job_family": cohort_family,
                    "min_readiness": min_readiness / 100,
                    "missing": missing,
                    "rows": len(members),
                }
                excel, csv = team.spreadsheets(export, "Cohort")
                with st.container(horizontal=True):
                    audited_download(
                        "Download as Excel",
                        excel,
                        f"cohort-{cohort_family.lower()}.xlsx",
                        what="cohort",
                        mime=EXCEL_MIME,
                        key="cohort_excel",
                        details=details,
                    )
                    audited_download(
                        "Download as CSV",
                        csv,
                        f"cohort-{cohort_family.lower()}.csv",
                        what="cohort",
                        mime=CSV_MIME,
                        key="cohort_csv",
                        details=details,
                    )

                rows = chosen["selection"]["rows"]
                if rows:
                    with st.container(border=True):
                        st.caption("Their progress, read-only, as they see it themselves.")
                        person = str(members.iloc[rows[0]]["person"])
                        render_progress(context, org.person_id(context, person), read_only=True)

with st.container(border=True):
    st.subheader("Self-ratings against the evidence")
    if st.toggle(
        "Compare self-ratings with the evidence",
        key="org_calibration",
        help="Reads the records of everyone the filters keep, so it is worked out only when "
        "asked for.",
    ):
        show_group_calibration(org.calibration(context, where), "the people shown")

with st.container(border=True):
    st.subheader("Progression equity")
    st.caption(
        "How groups compare on readiness and on levelling up over the last year. These are "
        "differences between groups, not their causes: read them as questions to ask. "
        f"Groups of fewer than {MINIMUM_GROUP} people are shown as “{FEWER_THAN}”, so no "
        "one can be singled out. This view covers everyone you may see, whatever the filters."
    )
    attribute = st.selectbox(
        "Compare by",
        org.attributes(context.database_url),
        index=None,
        format_func=lambda name: name.replace("_", " ").capitalize(),
        placeholder="Choose a roster attribute",
        key="equity_attribute",
    )
    if attribute is not None:
        groups = org.equity(context, attribute)
        shown = groups.assign(
            people=[
                FEWER_THAN if suppressed else whole(int(people))
                for people, suppressed in zip(groups["people"], groups["suppressed"], strict=True)
            ]
        )
        if (~groups["suppressed"]).any():
            st.plotly_chart(
                cached_figure(equity_chart, groups),
                width="stretch",
                alt=f"Grouped bars per {attribute}: the share ready for their next level and "
                "the share who levelled up in the last year.",
            )
        st.dataframe(
            percentages(shown, "mean_readiness", "share_ready", "level_up_rate"),
            hide_index=True,
            width="stretch",
            placeholder="—",
            column_order=["group", "people", "mean_readiness", "share_ready", "level_up_rate"],
            column_config={
                "group": st.column_config.TextColumn(attribute.replace("_", " ").capitalize()),
                "people": st.column_config.TextColumn("People"),
                "mean_readiness": percent_column("Mean readiness"),
                "share_ready": percent_column("Ready"),
                "level_up_rate": percent_column("Levelled up in a year"),
            },
        )
        st.caption(
            f"Table of {team.counted(len(groups), 'group')} by "
            f"{as_text(attribute.replace('_', ' '))}: "
            "people, mean readiness, share ready and share who levelled up; a dash is a "
            f"figure whose group is under {MINIMUM_GROUP}."
        )

with st.container(border=True):
    st.subheader("Programme effectiveness")
    st.caption(
        "Whether people who complete an activity gain more mastery in what it teaches, over "
        "the weeks after, than people of the same job family and level who did not. An "
        "observed difference, not a measured effect: who takes a programme is not random. "
        f"Groups of fewer than {MINIMUM_GROUP} are shown as “{FEWER_THAN}”. This view covers "
        "everyone you may see, whatever the filters."
    )
    window = st.selectbox(
        "Window after completion",
        [30, 90, 180],
        index=None,
        format_func=lambda days: f"{days} days",
        placeholder="Choose a window to compare",
        key="programme_window",
    )
    if window is not None:
        results = org.programmes(context, window)
        if results.empty:
            st.info(
                "No activity has completions in the last two years yet: import completion "
                "records, and programmes will be compared here.",
                icon=":material/lightbulb:",
            )
        else:
            kinds = results[(results["scope"] == "kind") & ~results["suppressed"]]
            if kinds["comparison_gain"].notna().any():
                st.plotly_chart(
                    cached_figure(programme_chart, kinds),
                    width="stretch",
                    alt="Grouped bars per kind of activity: mean mastery gained by those who "
                    "completed one beside a comparison group of the same family and level.",
                )
            shown = results.assign(
                participants=[
                    FEWER_THAN if suppressed else whole(int(count))
                    for count, suppressed in zip(
                        results["participants"], results["suppressed"], strict=True
                    )
                ],
                activity=results["activity"].fillna("All of this kind"),
                kind=results["kind"].str.replace("_", " ").str.capitalize(),
            )
            st.dataframe(
                shown,
                hide_index=True,
                width="stretch",
                placeholder="—",
                column_order=[
                    "activity",
                    "kind",
                    "participants",
                    "comparison_people",
                    "participant_gain",
                    "comparison_gain",
                    "difference",
                ],
                column_config={
                    "activity": st.column_config.TextColumn("Activity"),
                    "kind": st.column_config.TextColumn("Kind"),
                    "participants": st.column_config.TextColumn("Completed it"),
                    "comparison_people": st.column_config.NumberColumn(
                        "Comparison people", format="%d"
                    ),
                    "participant_gain": st.column_config.NumberColumn("Their gain", format="%+.2f"),
                    "comparison_gain": st.column_config.NumberColumn(
                        "Comparison gain", format="%+.2f"
                    ),
                    "difference": st.column_config.NumberColumn(
                        "Difference",
                        format="%+.2f",
                        help="Their gain minus the comparison's, in levels of the scale.",
                    ),
                },
            )
            st.caption(
                "Table of "
                + team.counted(
                    int((results["scope"] == "activity").sum()), "activity", "activities"
                )
                + f" and their kinds: mean mastery gained in the {window} days after completing, "
                "beside the comparison group, and the difference, in levels of the scale."
            )

freshness_section(context, where)
