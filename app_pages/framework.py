"""Framework: browse and edit competencies, level descriptors, pathway levels and requirements,
and the mastery settings, with a preview of whose attained level a settings change would move
before it is saved. For L&D admins; `loaders.framework_edit` refuses everyone else.
"""

import pandas as pd
import streamlit as st

from data_model.mastery_methods import PARAMETER_DEFAULTS, parse_method
from data_model.models import CompetencyCategory, SourceKind
from loaders.framework_edit import (
    METHODS,
    EditRefused,
    FrameworkOutline,
    settings_differences,
    settings_from_form,
)
from loaders.framework_yaml import FrameworkChanges
from ui import framework as data
from ui.context import page_context
from ui.formatting import as_text
from ui.imports import progress_bar

PREVIEW_KEY = "framework_preview"
"""The settings preview last asked for: a `SettingsPreview`."""
FLASH_KEY = "framework_flash"
"""A message for the next run, after a save reran the page: (section, text)."""
METHOD_LABELS = {
    "evidence": "Evidence, level by level (Pathwise's default)",
    "highest": "Highest value",
    "latest": "Latest value",
    "average": "Average",
    "weighted_average": "Weighted average (W% on the latest)",
    "decaying_average": "Decaying average (W% on each newer value)",
    "n_mastery": "n mastery (N values at proficient or above)",
}
SOURCE_LABELS = {
    SourceKind.ASSESSMENT: "Assessment",
    SourceKind.CERTIFICATION: "Certification",
    SourceKind.ATTESTATION: "Attestation",
    SourceKind.PROJECT: "Project",
    SourceKind.PORTFOLIO: "Portfolio",
    SourceKind.COURSE: "Course",
    SourceKind.MENTORING: "Mentoring",
    SourceKind.PEER_REVIEW: "Peer review",
    SourceKind.SELF_REPORT: "Self report",
}

context = page_context()


def flash(section: str, text: str) -> None:
    st.session_state[FLASH_KEY] = (section, text)


def show_flash(section: str) -> None:
    waiting = st.session_state.get(FLASH_KEY)
    if waiting and waiting[0] == section:
        del st.session_state[FLASH_KEY]
        st.success(waiting[1], icon=":material/check_circle:")


def reported(changes: FrameworkChanges) -> str:
    return as_text(changes.summary()) if changes.changed else "Nothing changed."


def level_words(outline: FrameworkOutline, level: float) -> str:
    label = outline.labels.get(int(level)) if float(level).is_integer() else None
    return f"{level:g} ({label})" if label else f"{level:g}"


# Competencies -------------------------------------------------------------------------------


def competencies_section(outline: FrameworkOutline) -> None:
    show_flash("competency")
    table = outline.competencies
    if table.empty:
        st.info(
            "This framework has no competencies yet: add them to its file and load it again "
            "on the Data page.",
            icon=":material/info:",
        )
        return
    st.dataframe(
        table.drop(columns=["competency_id"]),
        hide_index=True,
        width="stretch",
        column_config={
            "code": st.column_config.TextColumn("Code"),
            "name": st.column_config.TextColumn("Competency"),
            "category": st.column_config.TextColumn("Category"),
            "description": st.column_config.TextColumn("Description", width="large"),
            "descriptors": st.column_config.NumberColumn(
                "Level descriptors", help="Levels of the scale with a description of their own."
            ),
        },
    )
    st.caption(f"The {len(table)} competencies of {as_text(outline.name)}, by code.")
    names = dict(zip(table["competency_id"], table["code"] + " · " + table["name"], strict=True))
    competency_id = st.selectbox(
        "Competency to edit", list(names), format_func=names.get, key="framework_competency"
    )
    row = table.set_index("competency_id").loc[competency_id]
    descriptors = outline.descriptors[outline.descriptors["competency_id"] == competency_id]
    stored = dict(zip(descriptors["level"], descriptors["description"], strict=True))
    levels = [
        level
        for level in range(outline.scale_min, outline.scale_max + 1)
        if level > outline.scale_min or level in stored
    ]
    categories = [str(category) for category in CompetencyCategory]
    with st.form(f"framework_competency_form_{competency_id}"):
        name = st.text_input("Name", value=row["name"], max_chars=256)
        category = st.selectbox(
            "Category",
            categories,
            index=categories.index(str(row["category"])),
            format_func=str.capitalize,
            help="Values and professional competencies show in a section of their own.",
        )
        description = st.text_area("Description", value=row["description"])
        st.markdown("**What each level looks like** (leave one blank to remove it)")
        written = {
            level: st.text_area(
                f"Level {as_text(level_words(outline, level))}",
                value=stored.get(level, ""),
                height=68,
            )
            for level in levels
        }
        if st.form_submit_button("Save competency", type="primary"):
            try:
                changes = data.update_competency(
                    context, int(competency_id), name, category, description, written
                )
            except EditRefused as error:
                st.error(as_text(error), icon=":material/error:")
            else:
                flash(
                    "competency",
                    reported(changes),
                )
                st.rerun()


# Job families, levels and requirements ------------------------------------------------------


def families_section(outline: FrameworkOutline) -> None:
    show_flash("family")
    levels = outline.levels
    if levels.empty:
        st.info(
            "This framework has no job families or levels yet: add them to its file and load "
            "it again on the Data page.",
            icon=":material/info:",
        )
        return
    families = dict(zip(levels["job_family"], levels["family_name"], strict=False))
    family = st.selectbox(
        "Job family",
        list(families),
        format_func=lambda code: f"{code} · {families[code]}",
        key="framework_family",
    )
    own = levels[levels["job_family"] == family]
    st.dataframe(
        own[["rank", "title", "requirements", "description"]],
        hide_index=True,
        width="stretch",
        column_config={
            "rank": st.column_config.NumberColumn("Level"),
            "title": st.column_config.TextColumn("Title"),
            "requirements": st.column_config.NumberColumn("Requirements"),
            "description": st.column_config.TextColumn("Description", width="large"),
        },
    )
    st.caption(f"The levels of {as_text(families[family])}, lowest first.")
    titles = dict(zip(own["level_id"], own["rank"].astype(str) + " · " + own["title"], strict=True))
    level_id = st.selectbox(
        "Level to edit", list(titles), format_func=titles.get, key="framework_level"
    )
    level = own.set_index("level_id").loc[level_id]
    left, right = st.columns(2)
    with left:
        level_form(int(level_id), level)
    with right:
        requirement_form(outline, int(level_id))
    requirements = outline.requirements[outline.requirements["level_id"] == level_id]
    st.markdown(f"**What level {level['rank']} asks for**")
    if requirements.empty:
        st.info("This level asks for nothing yet: add a requirement above.", icon=":material/info:")
        return
    st.dataframe(
        requirements[["competency", "name", "required", "weight", "critical"]],
        hide_index=True,
        width="stretch",
        column_config={
            "competency": st.column_config.TextColumn("Code"),
            "name": st.column_config.TextColumn("Competency"),
            "required": st.column_config.NumberColumn("Required level", format="%.1f"),
            "weight": st.column_config.NumberColumn("Weight", format="%.1f"),
            "critical": st.column_config.CheckboxColumn("Critical"),
        },
    )
    st.caption(
        "A requirement is met when mastery reaches the level with enough support; an "
        "unmet critical one gives no credit towards readiness."
    )


def level_form(level_id: int, level: pd.Series) -> None:
    with st.form(f"framework_level_form_{level_id}"):
        title = st.text_input("Title", value=level["title"], max_chars=256)
        description = st.text_area("Level description", value=level["description"])
        if st.form_submit_button("Save level"):
            try:
                changes = data.update_level(context, level_id, title, description)
            except EditRefused as error:
                st.error(as_text(error), icon=":material/error:")
            else:
                flash("family", reported(changes))
                st.rerun()


def requirement_form(outline: FrameworkOutline, level_id: int) -> None:
    competencies = outline.competencies
    asked = outline.requirements[outline.requirements["level_id"] == level_id].set_index(
        "competency_id"
    )

    def described(competency_id: int) -> str:
        row = competencies.set_index("competency_id").loc[competency_id]
        now = (
            f"required at {asked.loc[competency_id, 'required']:g}"
            if competency_id in asked.index
            else "not required"
        )
        return f"{row['code']} · {row['name']} ({now})"

    competency_id = st.selectbox(
        "Requirement to add or change",
        competencies["competency_id"].tolist(),
        format_func=described,
        key=f"framework_requirement_competency_{level_id}",
    )
    current = asked.loc[competency_id] if competency_id in asked.index else None
    with st.form(f"framework_requirement_form_{level_id}_{competency_id}"):
        required = st.number_input(
            "Required level",
            min_value=float(outline.scale_min),
            max_value=float(outline.scale_max),
            value=float(current["required"]) if current is not None else float(outline.proficient),
            step=0.5,
            help=f"On the framework's scale, {outline.scale_min} to {outline.scale_max}.",
        )
        weight = st.number_input(
            "Weight",
            min_value=0.0,
            value=float(current["weight"]) if current is not None else 1.0,
            step=0.5,
            help="How much this requirement counts towards readiness; above 0.",
        )
        critical = st.checkbox(
            "Critical",
            value=bool(current["critical"]) if current is not None else False,
            help="An unmet critical requirement gives no credit towards readiness.",
        )
        remove = current is not None and st.checkbox("Remove this requirement")
        if st.form_submit_button("Save requirement"):
            try:
                changes = data.update_requirement(
                    context,
                    level_id,
                    int(competency_id),
                    None if remove else required,
                    weight,
                    critical,
                )
            except EditRefused as error:
                st.error(as_text(error), icon=":material/error:")
            else:
                flash("family", reported(changes))
                st.rerun()


# Mastery settings ---------------------------------------------------------------------------


def settings_section(outline: FrameworkOutline) -> None:
    show_flash("settings")
    settings = outline.settings
    st.markdown(
        "How learning records become mastery: the calculation method, how fast evidence fades "
        "(its half-life), how much each kind of evidence is trusted, and how much support a "
        "requirement needs. See the README's *How mastery is computed*."
    )
    if outline.overridden:
        st.caption(
            f"These competencies override some of these settings with their own, and keep "
            f"them: {as_text(', '.join(outline.overridden))}."
        )
    current = parse_method(settings.method)
    key = f"framework_settings_{outline.framework_id}"
    with st.form(f"{key}_form"):
        method = st.selectbox(
            "Method", METHODS, index=METHODS.index(current.name), format_func=METHOD_LABELS.get
        )
        parameter = st.number_input(
            "Method parameter",
            min_value=0.0,
            value=float(current.parameter or PARAMETER_DEFAULTS.get(current.name, 65.0)),
            help="W, a percentage, for the weighted and decaying averages; N, a whole number, "
            "for n mastery. The other methods take none.",
        )
        left, right = st.columns(2)
        half_life = left.number_input(
            "Half-life in days",
            min_value=0.0,
            value=float(settings.half_life_days),
            help="Evidence this old weighs half as much as evidence from today.",
        )
        minimum = right.number_input(
            "Minimum support",
            min_value=0.0,
            value=float(settings.minimum_support),
            step=0.1,
            help="The evidence weight a requirement needs behind it to count as met.",
        )
        st.markdown("**Trust per kind of evidence** (0 ignores it, 1 trusts it fully)")
        columns = st.columns(3)
        trust = {
            kind.value: columns[position % 3].number_input(
                SOURCE_LABELS[kind], min_value=0.0, value=float(settings.trust[kind]), step=0.1
            )
            for position, kind in enumerate(SourceKind)
        }
        asked = st.form_submit_button("Preview the change", type="primary")
    if asked:
        try:
            wanted = settings_from_form(method, parameter, half_life, minimum, trust)
        except EditRefused as error:
            st.error(as_text(error), icon=":material/error:")
        else:
            with progress_bar("Working out everyone's level under the new settings") as progress:
                st.session_state[PREVIEW_KEY] = data.preview(
                    context, outline.framework_id, wanted, progress
                )
    preview_part(outline)


def preview_part(outline: FrameworkOutline) -> None:
    preview = st.session_state.get(PREVIEW_KEY)
    if preview is None or preview.framework_id != outline.framework_id:
        st.caption(
            "Preview a change to see whose level it would move before you save it. The "
            "preview computes everyone's mastery twice, so in a large organisation it "
            "takes about as long as a full recompute (under a minute at 10,000 people)."
        )
        return
    st.subheader("Preview")
    if preview.settings == outline.settings:
        st.info("These are the current settings: there is nothing to save.", icon=":material/info:")
        return
    counts = st.columns(4)
    counts[0].metric("People on a pathway", f"{preview.people:,}")
    counts[1].metric("Level would change", f"{preview.changed:,}")
    counts[2].metric("Would move up", f"{preview.raised:,}")
    counts[3].metric("Would move down", f"{preview.lowered:,}")
    differences = settings_differences(outline.settings, preview.settings)
    st.write(f"Against the current settings ({'; '.join(differences)}): {preview.summary()}")
    if not preview.changes.empty:
        st.dataframe(
            preview.changes,
            hide_index=True,
            width="stretch",
            column_config={
                "person": st.column_config.TextColumn("Person"),
                "name": st.column_config.TextColumn("Name"),
                "job_family": st.column_config.TextColumn("Job family"),
                "before": st.column_config.NumberColumn("Level now"),
                "before_title": st.column_config.TextColumn("Title now"),
                "after": st.column_config.NumberColumn("Level after"),
                "after_title": st.column_config.TextColumn("Title after"),
            },
        )
        st.caption("Everyone whose attained level would change, by job family and name.")
    save, discard = st.columns([1, 3])
    if save.button("Save and recompute mastery", type="primary", key="framework_settings_save"):
        with progress_bar("Recomputing mastery") as progress:
            saved = data.save_settings(
                context, outline.framework_id, preview.settings, progress, preview
            )
        del st.session_state[PREVIEW_KEY]
        figures = saved.rollup
        flash(
            "settings",
            f"Settings saved and mastery recomputed for {figures.people:,} people "
            f"({figures.pairs:,} person-competency results)."
            if figures is not None
            else "Nothing changed: these were already the settings.",
        )
        st.rerun()
    if discard.button("Discard the preview", key="framework_settings_discard"):
        del st.session_state[PREVIEW_KEY]
        st.rerun()


# The page -----------------------------------------------------------------------------------

st.title("Framework")
known = data.frameworks(context)
if known.empty:
    st.info(
        "No framework is loaded yet. Load one on the Data page (Pathwise YAML, CSV files or "
        "progression Markdown), then edit it here.",
        icon=":material/account_tree:",
    )
    st.stop()
names = dict(zip(known["framework_id"], known["name"], strict=True))
framework_id = (
    st.selectbox("Framework", list(names), format_func=names.get, key="framework_id")
    if len(names) > 1
    else next(iter(names))
)
outline = data.outline(context, int(framework_id))
proficient = level_words(outline, outline.proficient)
st.caption(
    f"{as_text(outline.name)} ({as_text(outline.code)}): a scale from {outline.scale_min} to "
    f"{outline.scale_max}, proficient at {as_text(proficient)}."
)
competencies_tab, families_tab, settings_tab = st.tabs(
    ["Competencies", "Job families and levels", "Mastery settings"]
)
with competencies_tab:
    competencies_section(outline)
with families_tab:
    families_section(outline)
with settings_tab:
    settings_section(outline)
