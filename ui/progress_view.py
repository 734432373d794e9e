"""One person's progress page body: the learner's own My progress, and, read-only, a manager's
drill-down into a report.

`render_progress(context, person_id, read_only)` draws everything below the page title. With
`read_only` it leaves out the forms (informal learning, self-rating, goal setting) and the record
downloads, which belong to the learner alone; every read goes through the viewer's access scope,
so a manager sees only what they may.
"""

from datetime import UTC, date, datetime

import pandas as pd
import streamlit as st

from charts.calibration import self_rating_chart
from charts.learner import evidence_timeline_chart, mastery_history_chart
from charts.radar import requirements_radar
from data_model.credentials import NothingAchieved
from data_model.goals import InvalidGoal
from data_model.informal import INFORMAL_KINDS, InvalidEntry
from data_model.queries.progress import Progress
from ui import data, learner, stranded
from ui.audited import audited_download
from ui.context import PageContext
from ui.figures import cached_figure
from ui.formatting import (
    DAY_FORMAT,
    as_text,
    percent_column,
    percentages,
    where_they_sit,
    whole,
)

STATUS_TEXT = {
    "no_pathway": "No pathway",
    "no_evidence": "No evidence yet",
    "top_level": "Top level",
    "ready": "Ready",
    "at_risk": "At risk",
    "stalled": "Stalled",
    "on_track": "On track",
}
MISSING_TEXT = {
    "level": "A higher level: more learning at this level",
    "fresher evidence": "Fresher evidence: it was strong once, but has faded",
    "more trusted evidence": "More trusted evidence: an assessment or an attestation",
}
DIRECTION_TEXT = {
    "high": "Rates above the evidence",
    "low": "Rates below the evidence",
    "aligned": "In line with the evidence",
}
FLASH = "progress_flash"


def percent(share: float | None) -> str:
    return "—" if share is None or share != share else f"{share:.0%}"


def month_text(month: str | None) -> str:
    """'2027-06' as 'Jun 2027'."""
    if not month:
        return "—"
    return datetime.strptime(month, "%Y-%m").strftime("%b %Y")


def level_text(titles: pd.DataFrame, family: str | None, rank: int | None) -> str:
    """A level as people say it: its number and title ("3 · Senior Data Analyst")."""
    if rank is None:
        return "—"
    if rank == 0:
        return "Not yet level 1"
    for row_family, row_rank, title in zip(
        titles["job_family"], titles["rank"], titles["title"], strict=True
    ):
        if row_family == family and row_rank == rank:
            return f"{rank} · {title}"
    return str(rank)


def render_progress(context: PageContext, person_id: int, read_only: bool) -> None:
    """The page body for `person_id`, as the viewer in `context` may see it."""
    summary = data.person_summary(context, person_id)
    you = "you" if not read_only else summary.name.split()[0]
    progress = learner.progress(context, person_id)
    titles = learner.roles(context.database_url)
    if read_only:
        st.subheader(as_text(summary.name))
    st.caption(as_text(f"{summary.name} · {where_they_sit(summary)}"))
    _flash()
    _headline(progress, titles, read_only)
    _radar(context, person_id, progress, titles)
    _gaps(progress, read_only)
    _explain(context, person_id)
    _history(context, person_id)
    _calibration(context, person_id, read_only)
    _timeline(context, person_id, read_only)
    _goals(context, person_id, read_only, titles)
    _closest(context, person_id, you)
    if not read_only:
        _forms(context, person_id)
        _downloads(context, person_id, progress, titles)


def _flash() -> None:
    """The outcome of the last form, kept over the rerun its callback caused."""
    message = st.session_state.pop(FLASH, None)
    if message is not None:
        kind, text = message
        (st.success if kind == "success" else st.error)(text, icon=None)


def _headline(progress: Progress, titles: pd.DataFrame, read_only: bool) -> None:
    family = progress.job_family
    with st.container(horizontal=True):
        st.metric(
            "Level attained",
            level_text(titles, family, progress.attained_level),
            border=True,
            help="The highest pathway level whose requirements, and those of every level below "
            "it, are all met by your evidence.",
        )
        st.metric("Next level", level_text(titles, family, progress.next_level), border=True)
        history = [round(value * 100) for _, value in progress.readiness_history]
        st.metric(
            "Readiness",
            percent(progress.readiness),
            delta=_readiness_change(progress),
            border=True,
            chart_data=history or None,
            chart_type="area",
            help="The weighted share of the next level's requirements met; an unmet "
            "requirement counts as mastery over the level required, an unmet critical one as "
            "0. The chart and the change are over the last twelve month ends.",
        )
        st.metric("Status", STATUS_TEXT.get(progress.status, progress.status), border=True)
        low, high = progress.forecast_range
        st.metric(
            "Forecast ready",
            month_text(progress.forecast_ready),
            border=True,
            help=f"At the pace of the last twelve months; likely between {month_text(low)} and "
            f"{month_text(high)}."
            if progress.forecast_ready
            else "No forecast while readiness is not growing.",
        )
    if progress.status == "no_pathway":
        st.info(
            "Not on a pathway yet: there is no job family on the roster"
            + (" for you. Ask your L&D team to add one" if not read_only else "")
            + ". Evidence still counts, and goals below can aim at any role.",
            icon=":material/route:",
        )
    elif progress.status == "no_evidence":
        st.info(
            "No evidence yet. Log informal learning below, finish a course tagged to a "
            "competency, or ask your manager to attest a skill.",
            icon=":material/lightbulb:",
        )
    elif progress.status == "top_level":
        st.success(
            "Top level of the pathway reached. Keep the evidence fresh, set a goal in "
            "another job family, or mentor others.",
            icon=":material/military_tech:",
        )
    elif progress.title_ahead_of_evidence:
        st.caption("The title on the roster is above the level the evidence shows so far.")
    elif progress.working_above_title:
        st.caption("The evidence shows a level above the title on the roster.")


def _readiness_change(progress: Progress) -> str | None:
    """Points of readiness gained (or lost) since the first month end of the history."""
    if progress.readiness is None or not progress.readiness_history:
        return None
    change = round((progress.readiness - progress.readiness_history[0][1]) * 100)
    return f"{change:+d} points in a year" if change else None


def _radar(context: PageContext, person_id: int, progress: Progress, titles: pd.DataFrame) -> None:
    rank = progress.next_level or progress.attained_level
    if progress.job_family is None or not rank:
        return
    rows = learner.requirements(context, person_id, progress.job_family, rank)
    if rows.empty:
        return
    scale_max = float(learner.competencies(context.database_url)["scale_max"].max())
    level = level_text(titles, progress.job_family, rank)
    st.subheader(
        "Mastery against the next level" if progress.next_level else "Mastery against the top level"
    )
    st.caption(
        f"Each spoke is a requirement of level {as_text(level)}: the dashed line is the level "
        "required, the filled shape the mastery shown, green where the requirement is met and "
        "red where it is not. Values and professional competencies have a chart of their own."
    )
    technical = rows[rows["category"] == "technical"]
    behaviours = rows[rows["category"] != "technical"]
    left, right = st.columns(2)
    for column, part, title in (
        (left, technical, "Technical"),
        (right, behaviours, "Professional and values"),
    ):
        with column:
            if part.empty:
                st.caption(f"{title}: level {as_text(level)} asks for none.")
                continue
            met = int(part["met"].sum())
            st.plotly_chart(
                cached_figure(requirements_radar, part, scale_max, title), width="stretch"
            )
            st.caption(f"{title}: {met} of {len(part)} requirements met.")


def _gaps(progress: Progress, read_only: bool) -> None:
    if progress.next_level is None:
        return
    st.subheader("What is missing for the next level")
    if not progress.gaps:
        st.success(
            "Every requirement of the next level is met: time to talk about the step up.",
            icon=":material/celebration:",
        )
        return
    gaps = pd.DataFrame(
        [
            {
                "competency": gap.name,
                "required": gap.required,
                "mastery": gap.mastery,
                "missing": MISSING_TEXT.get(gap.missing, gap.missing),
            }
            for gap in progress.gaps
        ]
    )
    st.dataframe(
        gaps,
        hide_index=True,
        width="stretch",
        placeholder="no evidence yet",
        column_config={
            "competency": st.column_config.TextColumn("Competency", width="medium"),
            "required": st.column_config.NumberColumn("Required", format="%.1f"),
            "mastery": st.column_config.NumberColumn("Mastery now", format="%.2f"),
            "missing": st.column_config.TextColumn("What is missing", width="large"),
        },
    )
    if progress.recommendations:
        st.markdown("**Recommended next steps**")
        for step in progress.recommendations:
            hours = "" if step.hours is None else f" · about {step.hours:g} hours"
            tags = as_text(", ".join(step.competencies))
            st.markdown(f"- {as_text(step.activity)} ({tags}){hours}")
    else:
        st.caption(
            "The catalogue has nothing more for these gaps: "
            + (
                "ask your manager about a project or stretch assignment."
                if not read_only
                else "a project or stretch assignment may close them."
            )
        )


def _explain(context: PageContext, person_id: int) -> None:
    scores = learner.mastery(context, person_id)
    st.subheader("Every score, explained")
    if scores.empty:
        st.caption("No scores yet: each competency gets one with its first piece of evidence.")
        return
    st.caption(
        "Choose a competency to see the evidence behind its score: each record's value, "
        "weight and share."
    )
    competencies = learner.competencies(context.database_url)
    names = dict(zip(competencies["code"], competencies["name"], strict=True))
    ids = dict(zip(competencies["code"], competencies["competency_id"], strict=True))
    options = sorted(
        (code for code in scores["competency"] if code in names), key=names.__getitem__
    )
    scored = dict(zip(scores["competency"], scores["mastery"], strict=True))
    chosen = st.selectbox(
        "Explain the score of",
        options,
        index=None,
        key=f"explain_{person_id}",
        placeholder="Choose a competency",
        format_func=lambda code: f"{names[code]}: {scored[code]:.2f}",
    )
    if chosen is None:
        return
    competency_id = int(ids[chosen])
    found = learner.explanation(context, person_id, competency_id)
    with st.expander(f"How {as_text(names[chosen])} is worked out", expanded=True):
        summary = found.summary
        if not summary:
            st.caption("No usable evidence for this competency yet.")
            return
        st.markdown(
            f"Mastery **{summary['mastery']:.2f}** ({as_text(summary['level'] or 'no label')}), "
            f"support {summary['support']:.2f}, confidence {percent(summary['confidence'])}, "
            f"from {whole(int(summary['evidence_count']))} pieces of evidence. Each weight is "
            "trust x tag weight x recency; the shares add up to the mastery above the scale's "
            "minimum."
        )
        records = learner.timeline(context, person_id)[["record_id", "what"]]
        columns = ["record_id", "occurred_at", "source_kind", "verification", "value",
                   "at_least", "trust", "recency", "weight", "share"]  # fmt: skip
        evidence = found.evidence[columns].merge(records, on="record_id", how="left")
        st.dataframe(
            evidence,
            hide_index=True,
            width="stretch",
            column_order=[
                "occurred_at",
                "what",
                "source_kind",
                "verification",
                "value",
                "at_least",
                "trust",
                "recency",
                "weight",
                "share",
            ],
            column_config={
                "occurred_at": st.column_config.DatetimeColumn("Shown on", format=DAY_FORMAT),
                "what": st.column_config.TextColumn("Record", width="medium"),
                "source_kind": st.column_config.TextColumn("Source"),
                "verification": st.column_config.TextColumn("Verification"),
                "value": st.column_config.NumberColumn("Value", format="%.2f"),
                "at_least": st.column_config.CheckboxColumn(
                    "At least", help="Shows at least this level, not exactly it."
                ),
                "trust": st.column_config.NumberColumn("Trust", format="%.2f"),
                "recency": st.column_config.NumberColumn("Recency", format="%.2f"),
                "weight": st.column_config.NumberColumn("Weight", format="%.3f"),
                "share": st.column_config.NumberColumn("Share", format="%.3f"),
            },
        )


def _history(context: PageContext, person_id: int) -> None:
    st.subheader("Mastery over time")
    history = learner.history(context, person_id)
    if history.empty:
        st.caption("Nothing to draw yet: the line starts with your first piece of evidence.")
        return
    competencies = learner.competencies(context.database_url)
    category = st.segmented_control(
        "Competencies",
        ["technical", "professional", "values"],
        default="technical",
        format_func=str.capitalize,
        key=f"history_category_{person_id}",
    )
    codes = set(competencies.loc[competencies["category"] == (category or "technical"), "code"])
    shown = history[history["competency"].isin(codes)]
    if shown.empty:
        st.caption("No evidence in this category yet.")
        return
    names = dict(zip(competencies["code"], competencies["name"], strict=True))
    st.plotly_chart(
        cached_figure(mastery_history_chart, shown, names, float(competencies["scale_max"].max())),
        width="stretch",
    )
    st.caption(
        f"Mastery of each {category} competency at the end of each of the last twelve months. "
        "Time alone does not move mastery; new evidence does."
    )


def _calibration(context: PageContext, person_id: int, read_only: bool) -> None:
    st.subheader("How my self-ratings compare" if not read_only else "How self-ratings compare")
    compared = learner.calibration(context, person_id)
    if compared.empty:
        st.caption(
            "Nothing to compare yet: "
            + (
                "rate yourself with the self-rating form below, on a competency someone else "
                "has evidence of too, and see how your view lines up with theirs."
                if not read_only
                else "a comparison shows once a self-rating and someone else's evidence cover "
                "the same competency."
            )
        )
        return
    st.caption(
        "Self-ratings are useful signals, never proof: here they sit beside what managers, "
        "mentors, assessments and courses show. A gap of half a level or more either way is "
        "worth a conversation, not a correction."
    )
    scale_max = float(learner.competencies(context.database_url)["scale_max"].max())
    st.plotly_chart(
        cached_figure(self_rating_chart, compared, scale_max, "Their" if read_only else "Your"),
        width="stretch",
        alt="Dot plot per competency: the self-rating as a diamond beside the level others' "
        "evidence shows as a dot, joined by a line as long as the gap.",
    )
    st.dataframe(
        compared.assign(direction=compared["direction"].map(DIRECTION_TEXT)),
        hide_index=True,
        width="stretch",
        column_order=["name", "self_rating", "others_mastery", "gap", "direction"],
        column_config={
            "name": st.column_config.TextColumn("Competency", width="medium"),
            "self_rating": st.column_config.NumberColumn("Self-rating", format="%.1f"),
            "others_mastery": st.column_config.NumberColumn(
                "Others' evidence",
                format="%.1f",
                help="Mastery from everything except self-ratings and learning still pending "
                "verification.",
            ),
            "gap": st.column_config.NumberColumn("Gap", format="%+.1f"),
            "direction": st.column_config.TextColumn("Reading"),
        },
    )
    st.caption(
        f"Table of {whole(len(compared))} competencies with both a self-rating and other "
        "evidence: the self-rating, the others' evidence, and the gap between them."
    )


def _timeline(context: PageContext, person_id: int, read_only: bool) -> None:
    st.subheader("Evidence timeline")
    if not read_only:
        stranded.learner_panel(context, person_id)
    timeline = learner.timeline(context, person_id)
    if timeline.empty:
        st.caption(
            "No records yet. "
            + ("Log informal learning below to start your timeline." if not read_only else "")
        )
        return
    pending = int((timeline["verification"] == "pending").sum())
    st.plotly_chart(cached_figure(evidence_timeline_chart, timeline), width="stretch")
    waiting = (
        f"{whole(pending)} awaiting verification count as self reports until then."
        if pending
        else "none awaits verification."
    )
    declined = int((timeline["verification"] == "declined").sum())
    if declined:
        waiting += (
            f" {whole(declined)} declined count for nothing; the table says why each was "
            "declined. Log it again with a clearer link or note, or ask someone else."
        )
    st.caption(
        f"{whole(len(timeline))} records, formal and informal: a dot is one day's records, sized "
        f"by how many there are and coloured by whether they were verified; {waiting}"
    )
    st.dataframe(
        timeline.assign(
            formal=timeline["formal"].map({True: "Formal", False: "Informal"}),
            verification=timeline["verification"].str.replace("_", " ").str.capitalize(),
            source_kind=timeline["source_kind"].str.replace("_", " ").str.capitalize(),
            verifier=_verifiers_as_they_stand(context, person_id, timeline),
        ),
        hide_index=True,
        width="stretch",
        height=300,
        placeholder="—",
        column_order=[
            "occurred_at",
            "what",
            "competencies",
            "formal",
            "source_kind",
            "verification",
            "verifier",
            "decline_reason",
        ],
        column_config={
            "occurred_at": st.column_config.DatetimeColumn("Date", format=DAY_FORMAT),
            "what": st.column_config.TextColumn("Record", width="large"),
            "competencies": st.column_config.TextColumn("Competencies"),
            "formal": st.column_config.TextColumn("Kind"),
            "source_kind": st.column_config.TextColumn("Source"),
            "verification": st.column_config.TextColumn("Verification"),
            "verifier": st.column_config.TextColumn("Verifier"),
            "decline_reason": st.column_config.TextColumn(
                "Why declined",
                width="medium",
                help="The verifier's reason, for informal learning they declined to vouch for.",
            ),
        },
    )


def _verifiers_as_they_stand(
    context: PageContext, person_id: int, timeline: pd.DataFrame
) -> pd.Series:
    """The verifier of each record, said to be unable to answer where the roster has stranded
    the request (`ui.stranded`), so the table does not suggest that they are still asked."""
    stranded_ids = set(stranded.of_person(context, person_id)["record_id"])
    cannot = timeline["record_id"].isin(stranded_ids) & timeline["verifier"].notna()
    return timeline["verifier"].where(~cannot, timeline["verifier"] + " (can no longer answer)")


def _goals(context: PageContext, person_id: int, read_only: bool, titles: pd.DataFrame) -> None:
    st.subheader("Learning goals")
    goals = learner.person_goals(context, person_id)
    if goals.empty:
        st.caption(
            "No goals yet. Set one below: a competency to a level, or a role in any job family."
            if not read_only
            else "No goals set yet."
        )
    else:
        shown = percentages(goals, "progress").assign(
            status=[
                "Achieved"
                if status == "achieved"
                else "Overdue"
                if overdue
                else "Met: mark it achieved"
                if met
                else "Active"
                for status, overdue, met in zip(
                    goals["status"], goals["overdue"], goals["met"], strict=True
                )
            ],
            kind=goals["kind"].str.capitalize(),
        )
        st.dataframe(
            shown,
            hide_index=True,
            width="stretch",
            placeholder="—",
            column_order=["target", "kind", "target_date", "progress", "status"],
            column_config={
                "target": st.column_config.TextColumn("Goal", width="large"),
                "kind": st.column_config.TextColumn("Kind"),
                "target_date": st.column_config.DateColumn("By", format=DAY_FORMAT),
                "progress": percent_column(
                    "Progress",
                    bar=True,
                    help="Mastery over the level aimed for, or readiness for the role.",
                ),
                "status": st.column_config.TextColumn("Status"),
            },
        )
        if not read_only:
            _goal_actions(context, goals)
    if not read_only:
        _goal_forms(context, titles)


def _goal_actions(context: PageContext, goals: pd.DataFrame) -> None:
    active = goals[goals["status"] == "active"]
    if active.empty:
        return
    texts = dict(zip(active["goal_id"], active["target"], strict=True))
    with st.container(horizontal=True, vertical_alignment="bottom"):
        st.selectbox("Goal", list(texts), format_func=texts.get, key="goal_choice", width=420)
        st.button("Mark achieved", key="goal_achieved", on_click=_goal_done, args=(context,))
        st.button("Remove", key="goal_remove", on_click=_goal_removed, args=(context,))


def _goal_done(context: PageContext) -> None:
    try:
        learner.mark_goal_achieved(context, int(st.session_state["goal_choice"]))
        st.session_state[FLASH] = ("success", "Goal marked achieved. Well done.")
    except InvalidGoal as error:
        st.session_state[FLASH] = ("error", str(error))


def _goal_removed(context: PageContext) -> None:
    try:
        learner.remove_goal(context, int(st.session_state["goal_choice"]))
        st.session_state[FLASH] = ("success", "Goal removed.")
    except InvalidGoal as error:
        st.session_state[FLASH] = ("error", str(error))


def _goal_forms(context: PageContext, titles: pd.DataFrame) -> None:
    competencies = learner.competencies(context.database_url)
    names = dict(zip(competencies["competency_id"], competencies["name"], strict=True))
    scale_max = int(competencies["scale_max"].max()) if len(competencies) else 5
    aim_competency, aim_role = st.tabs(["Aim for a competency level", "Aim for a role"])
    with aim_competency, st.form("goal_competency_form", clear_on_submit=True):
        st.selectbox("Competency", list(names), format_func=names.get, key="goal_competency")
        st.slider("Level to reach", 1, scale_max, min(3, scale_max), key="goal_level")
        st.date_input("By", value=None, min_value=date.today(), key="goal_competency_date")
        st.form_submit_button("Set goal", on_click=_goal_set, args=(context, "competency"))
    with aim_role, st.form("goal_role_form", clear_on_submit=True):
        levels = {
            f"{row.job_family}:{row.rank}": f"{row.title} ({row.job_family_name}, level {row.rank})"
            for row in titles.itertuples(index=False)
        }
        st.selectbox("Role", list(levels), format_func=levels.get, key="goal_role")
        st.date_input("By", value=None, min_value=date.today(), key="goal_role_date")
        st.form_submit_button("Set goal", on_click=_goal_set, args=(context, "role"))


def _goal_set(context: PageContext, kind: str) -> None:
    state = st.session_state
    if kind == "competency":
        goal = {
            "competency_id": int(state["goal_competency"]),
            "target_level": float(state["goal_level"]),
            "target_date": state["goal_competency_date"],
        }
    else:
        family, rank = str(state["goal_role"]).split(":")
        roles = learner.roles(context.database_url)
        family_id = int(roles.loc[roles["job_family"] == family, "job_family_id"].iloc[0])
        goal = {
            "job_family_id": family_id,
            "target_rank": int(rank),
            "target_date": state["goal_role_date"],
        }
    try:
        learner.set_goal(context, goal)
        state[FLASH] = ("success", "Goal set: its progress is in the goals table.")
    except InvalidGoal as error:
        state[FLASH] = ("error", str(error))


def _closest(context: PageContext, person_id: int, you: str) -> None:
    st.subheader("Roles closest to " + ("you" if you == "you" else you))
    roles = learner.closest(context, person_id)
    if roles.empty:
        st.caption("No other job family has levels to compare with yet.")
        return
    st.caption(
        "Levels of other job families ranked by readiness for their own requirements, as "
        "internal candidates are: a move sideways can be closer than it looks."
    )
    st.dataframe(
        percentages(roles, "readiness").assign(
            role=roles["level"] + " (" + roles["job_family_name"] + ")",
            gaps=[len(gaps) for gaps in roles["gaps"]],
        ),
        hide_index=True,
        width="stretch",
        placeholder="—",
        column_order=["role", "readiness", "gaps", "catalogue_hours"],
        column_config={
            "role": st.column_config.TextColumn("Role", width="large"),
            "readiness": percent_column("Readiness", bar=True),
            "gaps": st.column_config.NumberColumn("Requirements not met", format="%d"),
            "catalogue_hours": st.column_config.NumberColumn(
                "Catalogue hours to close",
                format="%.0f",
                help="Empty where the catalogue cannot close a gap.",
            ),
        },
    )


def _forms(context: PageContext, person_id: int) -> None:
    st.subheader("Add to your record")
    log_tab, rate_tab = st.tabs(["Log informal learning", "Rate yourself"])
    with log_tab:
        _informal_form(context, person_id)
    with rate_tab:
        _rating_form(context)


def _informal_form(context: PageContext, person_id: int) -> None:
    verifiers = learner.verifiers(context, person_id)
    if verifiers.empty:
        st.info(
            "No one above you on the roster to verify informal learning yet: ask your L&D "
            "team to record your manager.",
            icon=":material/person_search:",
        )
        return
    competencies = learner.competencies(context.database_url)
    titles = learner.activity_titles(context.database_url)
    names = dict(zip(competencies["competency_id"], competencies["name"], strict=True))
    who = dict(zip(verifiers["person_id"], verifiers["name"], strict=True))
    scale_max = int(competencies["scale_max"].max()) if len(competencies) else 5
    st.caption(
        "A project, mentoring, a talk, a course taken elsewhere: it stays pending, counting as "
        "a self report, until the person you ask verifies it."
    )
    with st.form("informal_form", clear_on_submit=True):
        st.selectbox(
            "From the catalogue",
            list(titles),
            index=None,
            format_func=titles.get,
            placeholder="Not in the catalogue: describe it below",
            key="informal_activity",
        )
        left, right = st.columns(2)
        left.text_input(
            "Or what you did",
            max_chars=300,
            key="informal_title",
            placeholder="Ran the quarterly data review",
        )
        right.selectbox(
            "Kind",
            [str(kind) for kind in INFORMAL_KINDS],
            format_func=lambda kind: kind.replace("_", " ").capitalize(),
            key="informal_kind",
        )
        st.multiselect(
            "Competencies it shows",
            list(names),
            format_func=names.get,
            key="informal_competencies",
            help="For a catalogue activity, leave empty to take all it teaches.",
        )
        st.slider(
            "Level you showed (free text only)",
            0,
            scale_max,
            min(2, scale_max),
            key="informal_level",
        )
        left, right = st.columns(2)
        left.date_input("When", value=date.today(), max_value=date.today(), key="informal_date")
        right.text_input("Link", placeholder="https://", key="informal_link")
        st.selectbox("Ask to verify", list(who), format_func=who.get, key="informal_verifier")
        st.text_area("Note", max_chars=2000, key="informal_note")
        st.form_submit_button(
            "Log learning", type="primary", on_click=_informal_submitted, args=(context, who)
        )


def _informal_submitted(context: PageContext, verifiers: dict[int, str]) -> None:
    state = st.session_state
    activity = state["informal_activity"]
    entry = {
        "activity_id": None if activity is None else int(activity),
        "title": state["informal_title"] if activity is None else "",
        "kind": state["informal_kind"],
        "competency_ids": tuple(int(c) for c in state["informal_competencies"]),
        "level": None if activity is not None else float(state["informal_level"]),
        "occurred_on": state["informal_date"],
        "link": state["informal_link"],
        "note": state["informal_note"],
        "verifier_id": int(state["informal_verifier"]),
    }
    try:
        logged = learner.log_learning(context, entry)
    except InvalidEntry as error:
        state[FLASH] = ("error", str(error))
        return
    asked = verifiers.get(logged.verifier_id, "your verifier")
    state[FLASH] = (
        "success",
        f"Logged {len(logged.record_ids)} record(s), pending until {asked} verifies them.",
    )


def _rating_form(context: PageContext) -> None:
    competencies = learner.competencies(context.database_url)
    names = dict(zip(competencies["competency_id"], competencies["name"], strict=True))
    scale_max = int(competencies["scale_max"].max()) if len(competencies) else 5
    st.caption(
        "How you see yourself. A self-rating weighs least of all evidence (trust 0.3), so it "
        "nudges mastery but never meets a requirement alone."
    )
    with st.form("rating_form", clear_on_submit=True):
        st.selectbox("Competency", list(names), format_func=names.get, key="rating_competency")
        st.slider("Your rating", 0.0, float(scale_max), 2.0, step=0.5, key="rating_value")
        st.text_area("What it rests on", max_chars=2000, key="rating_note")
        st.form_submit_button("Save rating", on_click=_rating_submitted, args=(context,))


def _rating_submitted(context: PageContext) -> None:
    state = st.session_state
    try:
        learner.rate_myself(
            context,
            {
                "competency_id": int(state["rating_competency"]),
                "rating": float(state["rating_value"]),
                "note": state["rating_note"],
            },
        )
    except InvalidEntry as error:
        state[FLASH] = ("error", str(error))
        return
    state[FLASH] = ("success", "Self-rating saved.")


def _downloads(
    context: PageContext, person_id: int, progress: Progress, titles: pd.DataFrame
) -> None:
    st.subheader("Take your record with you")
    achieved = learner.achieved(context, person_id)
    if achieved.empty:
        st.caption(
            "Nothing to take away yet: a competency level counts once mastery reaches it "
            "with enough evidence behind it."
        )
        return
    st.caption(
        f"{whole(len(achieved))} competencies achieved, as Open Badges 3.0 in a Comprehensive "
        "Learner Record (CLR 2.0), or as one page to print. Both are unsigned: Pathwise holds "
        "no signing key, and the files say so."
    )
    standing = (
        f"Level attained {level_text(titles, progress.job_family, progress.attained_level)}; "
        f"readiness for the next level {percent(progress.readiness)}."
        if progress.job_family
        else "Not on a pathway."
    )
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    try:
        clr = learner.record_json(context, person_id)
    except NothingAchieved:
        return
    with st.container(horizontal=True):
        audited_download(
            "My record as Open Badges (JSON)",
            clr,
            f"pathwise-record-{stamp}.json",
            what="learner_record_clr",
            mime="application/json",
            key="download_clr",
            details={"person_id": person_id, "competencies": len(achieved)},
        )
        audited_download(
            "My record as PDF",
            learner.record_pdf_bytes(context, person_id, standing),
            f"pathwise-record-{stamp}.pdf",
            what="learner_record_pdf",
            mime="application/pdf",
            key="download_pdf",
            details={"person_id": person_id, "competencies": len(achieved)},
        )
    st.dataframe(
        achieved.drop(columns=["labels"]).assign(category=achieved["category"].str.capitalize()),
        hide_index=True,
        width="stretch",
        column_order=["name", "category", "level", "label", "mastery", "last_evidence_at"],
        column_config={
            "name": st.column_config.TextColumn("Competency", width="medium"),
            "category": st.column_config.TextColumn("Category"),
            "level": st.column_config.NumberColumn("Level achieved", format="%d"),
            "label": st.column_config.TextColumn("Label"),
            "mastery": st.column_config.NumberColumn("Mastery", format="%.2f"),
            "last_evidence_at": st.column_config.DatetimeColumn("Last evidence", format=DAY_FORMAT),
        },
    )
