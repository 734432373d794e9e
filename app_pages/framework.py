"""Framework: browse and edit competencies, level descriptors, pathway levels and requirements,
and the mastery settings, with a preview of whose attained level a settings change would move
before it is saved. Competencies and a job family's top level can be added and removed, and a
competency can have mastery settings of its own, previewed the same way before they are saved.
For L&D admins; `loaders.framework_edit` refuses everyone else and holds every rule (what may be
removed, what is recomputed).
"""

from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from data_model.mastery_methods import PARAMETER_DEFAULTS, parse_method
from data_model.mastery_settings import MasterySettings
from data_model.models import CompetencyCategory, SourceKind
from loaders.framework_edit import (
    METHODS,
    CompetencyRemoved,
    CompetencySettingsPreview,
    EditRefused,
    FrameworkOutline,
    LevelPreview,
    overrides_from_form,
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
COMPETENCY_PREVIEW_KEY = "framework_competency_preview"
"""The preview of a competency's own settings last asked for: a `CompetencySettingsPreview`."""
FLASH_KEY = "framework_flash"
"""A message for the next run, after a save reran the page: (section, text)."""
SELECT_KEY = "framework_select"
"""What to select on the next run, after a save added or removed something: {widget key:
code or rank}."""
COMPETENCY_KEY = "framework_competency"
FAMILY_KEY = "framework_family"
LEVEL_KEY = "framework_level"
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


def select_next_run(key: str, value: object) -> None:
    st.session_state.setdefault(SELECT_KEY, {})[key] = value


def apply_selection(key: str, choices: Mapping[Any, Any]) -> None:
    """Select what a save asked for (by code or rank, looked up in `choices`) before the widget
    `key` is drawn: a widget's value cannot be set once it is on the page."""
    wanted = st.session_state.get(SELECT_KEY, {}).pop(key, None)
    if wanted in choices:
        st.session_state[key] = choices[wanted]


def form_round(name: str) -> int:
    """Which round of an add form this is: a new round after each addition gives its widgets
    new keys, so the form comes back empty, while a refused one keeps what was typed."""
    return st.session_state.get(f"framework_round_{name}", 0)


def next_form_round(name: str) -> None:
    st.session_state[f"framework_round_{name}"] = form_round(name) + 1


def optional_float(value: object) -> float | None:
    return None if value is None else float(value)


def reported(changes: FrameworkChanges | CompetencyRemoved) -> str:
    return as_text(changes.summary()) if changes.changed else "Nothing changed."


def level_words(outline: FrameworkOutline, level: float) -> str:
    label = outline.labels.get(int(level)) if float(level).is_integer() else None
    return f"{level:g} ({label})" if label else f"{level:g}"


# Competencies -------------------------------------------------------------------------------


def competencies_section(outline: FrameworkOutline) -> None:
    show_flash("competency")
    if outline.competencies.empty:
        st.info(
            "This framework has no competencies yet: add the first one below.",
            icon=":material/info:",
        )
    else:
        competency_part(outline)
    add_competency_form(outline)


def competency_part(outline: FrameworkOutline) -> None:
    table = outline.competencies
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
    apply_selection(COMPETENCY_KEY, dict(zip(table["code"], table["competency_id"], strict=True)))
    competency_id = st.selectbox(
        "Competency to edit", list(names), format_func=names.get, key=COMPETENCY_KEY
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
    competency_settings_form(outline, int(competency_id), row["code"])
    remove_competency_form(outline, int(competency_id), row["code"])


def add_competency_form(outline: FrameworkOutline) -> None:
    round_ = form_round("add_competency")
    categories = [str(category) for category in CompetencyCategory]
    with (
        st.expander("Add a competency", icon=":material/add:"),
        st.form(f"framework_add_competency_{round_}"),
    ):
        left, right = st.columns([1, 2])
        code = left.text_input(
            "Code",
            max_chars=64,
            help="How record and catalogue files name the competency: unique across "
            "frameworks, whatever its case.",
        )
        name = right.text_input("Competency name", max_chars=256)
        category = st.selectbox("Competency category", categories, format_func=str.capitalize)
        description = st.text_area("What it covers")
        st.markdown("**What each level looks like** (a blank level gets no description)")
        written = {
            level: st.text_area(
                f"Level {as_text(level_words(outline, level))}",
                height=68,
                key=f"framework_new_descriptor_{round_}_{level}",
            )
            for level in range(outline.scale_min + 1, outline.scale_max + 1)
        }
        if st.form_submit_button("Add competency", type="primary"):
            try:
                changes = data.add_competency(
                    context, outline.framework_id, code, name, category, description, written
                )
            except EditRefused as error:
                st.error(as_text(error), icon=":material/error:")
            else:
                flash("competency", reported(changes))
                select_next_run(COMPETENCY_KEY, code.strip())
                next_form_round("add_competency")
                st.rerun()


def competency_settings_form(outline: FrameworkOutline, competency_id: int, code: str) -> None:
    """The competency's own mastery settings: a blank value follows the framework's."""
    own = outline.overrides.get(competency_id, {})
    framework = outline.settings
    title = f"Mastery settings of {as_text(code)}" + (" (its own)" if own else "")
    with st.expander(title, icon=":material/tune:"):
        st.caption(
            "A value set here overrides the framework's for this competency alone; a blank one "
            "follows the framework's (shown greyed), now and after it changes. Preview a "
            "change first; saving it recomputes this competency's mastery for everyone with "
            "evidence of it."
        )
        current = parse_method(own["method"]) if "method" in own else None
        framework_method = METHOD_LABELS[framework.parsed_method.name]
        methods = ["", *METHODS]
        key = f"framework_competency_settings_{competency_id}"
        with st.form(key):
            method = st.selectbox(
                f"Method for {code}",
                methods,
                index=methods.index(current.name) if current else 0,
                format_func=lambda name: (
                    METHOD_LABELS[name] if name else f"The framework's: {framework_method}"
                ),
            )
            parameter = st.number_input(
                f"Method parameter for {code}",
                min_value=0.0,
                value=float(current.parameter) if current and current.parameter else None,
                placeholder="The method's default",
                help="W, a percentage, for the weighted and decaying averages; N, a whole "
                "number, for n mastery. The other methods take none.",
            )
            left, right = st.columns(2)
            half_life = left.number_input(
                f"Half-life in days for {code}",
                min_value=0.0,
                value=optional_float(own.get("half_life_days")),
                placeholder=f"{framework.half_life_days:g}",
            )
            minimum = right.number_input(
                f"Minimum support for {code}",
                min_value=0.0,
                value=optional_float(own.get("minimum_support")),
                step=0.1,
                placeholder=f"{framework.minimum_support:g}",
            )
            st.markdown("**Trust per kind of evidence** (0 ignores it, 1 trusts it fully)")
            columns = st.columns(3)
            trust = {
                kind.value: columns[position % 3].number_input(
                    SOURCE_LABELS[kind],
                    min_value=0.0,
                    value=optional_float(own.get("trust", {}).get(kind.value)),
                    step=0.1,
                    placeholder=f"{framework.trust[kind]:g}",
                    key=f"{key}_trust_{kind.value}",
                )
                for position, kind in enumerate(SourceKind)
            }
            submitted = st.form_submit_button("Preview its new settings")
        if submitted:
            preview_competency_settings(competency_id, code, method, parameter, half_life,
                                        minimum, trust)  # fmt: skip
        competency_preview_part(outline, competency_id)


def preview_competency_settings(
    competency_id: int,
    code: str,
    method: str,
    parameter: float | None,
    half_life: float | None,
    minimum: float | None,
    trust: dict[str, float | None],
) -> None:
    try:
        overrides = overrides_from_form(method or None, parameter, half_life, minimum, trust)
        working = f"Working out everyone's level with these settings for {as_text(code)}"
        with progress_bar(working) as bar:
            st.session_state[COMPETENCY_PREVIEW_KEY] = data.preview_competency_settings(
                context, competency_id, overrides, bar
            )
    except EditRefused as error:
        st.error(as_text(error), icon=":material/error:")


def competency_preview_part(outline: FrameworkOutline, competency_id: int) -> None:
    preview: CompetencySettingsPreview | None = st.session_state.get(COMPETENCY_PREVIEW_KEY)
    if preview is None or preview.competency_id != competency_id:
        st.caption(
            "Preview a change to see whose level and mastery of it would move before you save "
            "it. The preview reads everyone's evidence, so in a large organisation it takes "
            "up to a minute."
        )
        return
    code = as_text(preview.code)
    own = outline.overrides.get(competency_id, {})
    if preview.overrides == own:
        st.info(
            f"These are already the settings of {code}: there is nothing to save.",
            icon=":material/info:",
        )
        return
    st.markdown(f"**Preview for {code}**")
    level_counts(preview)
    counts = st.columns(4)
    counts[0].metric("Mastery would move", f"{preview.mastery_changed:,}")
    counts[1].metric("Proficiency would change", f"{preview.proficiency_changed:,}")
    framework = outline.settings.model_dump(mode="json")
    differences = settings_differences(
        MasterySettings.merged(framework, own), MasterySettings.merged(framework, preview.overrides)
    )
    against = (
        f"Against its current settings ({'; '.join(differences)})"
        if differences
        else "With the same settings in effect, now its own rather than the framework's"
    )
    st.write(f"{against}: {as_text(preview.summary())}")
    level_changes_table(preview)
    if not preview.competency_changes.empty:
        st.dataframe(
            preview.competency_changes,
            hide_index=True,
            width="stretch",
            column_config={
                "person": st.column_config.TextColumn("Person"),
                "name": st.column_config.TextColumn("Name"),
                "job_family": st.column_config.TextColumn("Job family"),
                "mastery_before": st.column_config.NumberColumn("Mastery now", format="%.2f"),
                "mastery_after": st.column_config.NumberColumn("Mastery after", format="%.2f"),
                "proficient_before": st.column_config.CheckboxColumn("Proficient now"),
                "proficient_after": st.column_config.CheckboxColumn("Proficient after"),
            },
        )
        st.caption(
            f"Everyone whose mastery of {code}, or whether they are proficient in it, would "
            "change, by job family and name. A blank mastery is no result."
        )
    save, discard = st.columns([1, 3])
    if save.button(
        "Save and recompute its mastery",
        type="primary",
        key=f"framework_competency_settings_save_{competency_id}",
    ):
        save_competency_settings(preview)
    if discard.button(
        "Discard the preview", key=f"framework_competency_settings_discard_{competency_id}"
    ):
        del st.session_state[COMPETENCY_PREVIEW_KEY]
        st.rerun()


def save_competency_settings(preview: CompetencySettingsPreview) -> None:
    code = as_text(preview.code)
    try:
        with progress_bar(f"Recomputing the mastery of {code}") as progress:
            saved = data.save_competency_settings(
                context, preview.competency_id, preview.overrides, progress, preview
            )
    except EditRefused as error:
        st.error(as_text(error), icon=":material/error:")
        return
    del st.session_state[COMPETENCY_PREVIEW_KEY]
    people = "person" if saved.people == 1 else "people"
    flash(
        "competency",
        f"Mastery settings of {code} saved; its mastery was recomputed for "
        f"{saved.people:,} {people}."
        if saved.changes.changed
        else f"Nothing changed: these were already the settings of {code}.",
    )
    st.rerun()


def remove_competency_form(outline: FrameworkOutline, competency_id: int, code: str) -> None:
    asked = int((outline.requirements["competency_id"] == competency_id).sum())
    with st.expander(f"Remove {as_text(code)}", icon=":material/delete:"):
        st.caption(
            "Only a competency that no learning record, goal or catalogue activity points at "
            "can be removed, so nothing is lost; the levels that ask for it stop asking."
        )
        with st.form(f"framework_remove_competency_{competency_id}"):
            also = f" and the {asked} requirements that ask for it" if asked else ""
            sure = st.checkbox(
                f"Yes, remove {as_text(code)}{also}",
                key=f"framework_remove_competency_sure_{competency_id}",
            )
            if st.form_submit_button("Remove competency"):
                if not sure:
                    st.error("Tick the box to confirm the removal.", icon=":material/error:")
                    return
                try:
                    removed = data.remove_competency(context, competency_id)
                except EditRefused as error:
                    st.error(as_text(error), icon=":material/error:")
                else:
                    flash("competency", reported(removed))
                    st.rerun()


# Job families, levels and requirements ------------------------------------------------------


def families_section(outline: FrameworkOutline) -> None:
    show_flash("family")
    families = outline.families
    if families.empty:
        st.info(
            "This framework has no job families yet: add them to its file and load it again "
            "on the Data page.",
            icon=":material/info:",
        )
        return
    names = dict(zip(families["job_family"], families["family_name"], strict=True))
    ids = dict(zip(families["job_family"], families["job_family_id"], strict=True))
    apply_selection(FAMILY_KEY, {code: code for code in names})
    family = st.selectbox(
        "Job family",
        list(names),
        format_func=lambda code: f"{code} · {names[code]}",
        key=FAMILY_KEY,
    )
    own = outline.levels[outline.levels["job_family"] == family]
    if own.empty:
        st.info(
            f"{as_text(names[family])} has no levels yet: add the first one below.",
            icon=":material/info:",
        )
    else:
        levels_part(outline, own, names[family])
    add_level_form(outline, int(ids[family]), family, own)
    if not own.empty:
        remove_level_form(own)


def levels_part(outline: FrameworkOutline, own: pd.DataFrame, family_name: str) -> None:
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
    st.caption(f"The levels of {as_text(family_name)}, lowest first.")
    titles = dict(zip(own["level_id"], own["rank"].astype(str) + " · " + own["title"], strict=True))
    apply_selection(LEVEL_KEY, dict(zip(own["rank"], own["level_id"], strict=True)))
    level_id = st.selectbox("Level to edit", list(titles), format_func=titles.get, key=LEVEL_KEY)
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


def add_level_form(
    outline: FrameworkOutline, family_id: int, family: str, own: pd.DataFrame
) -> None:
    """A new level above the top one, its requirements filled in from the top one's."""
    below = own.loc[own["rank"].idxmax()] if not own.empty else None
    rank = int(below["rank"]) + 1 if below is not None else 1
    asked = (
        outline.requirements[outline.requirements["level_id"] == below["level_id"]]
        if below is not None
        else outline.requirements.iloc[0:0]
    )
    required_below = dict(zip(asked["competency_id"], asked["required"], strict=True))
    round_ = form_round(f"add_level_{family_id}")
    with (
        st.expander(f"Add level {rank}", icon=":material/add:"),
        st.form(f"framework_add_level_{family_id}_{round_}"),
    ):
        title = st.text_input("Title of the new level", max_chars=256)
        description = st.text_area("Description of the new level")
        st.markdown(
            f"**What level {rank} asks for**: the required level of each competency, blank "
            "for none."
            + (
                f" Filled in from level {rank - 1}, whose weights and critical flags carry over."
                if below is not None
                else ""
            )
        )
        columns = st.columns(3)
        competencies = outline.competencies
        required = {
            int(competency_id): columns[position % 3].number_input(
                f"{code} · {name}",
                min_value=float(outline.scale_min),
                max_value=float(outline.scale_max),
                value=optional_float(required_below.get(competency_id)),
                step=0.5,
                placeholder="Not asked for",
                key=f"framework_new_level_{family_id}_{round_}_{competency_id}",
            )
            for position, (competency_id, code, name) in enumerate(
                competencies[["competency_id", "code", "name"]].itertuples(index=False)
            )
        }
        if st.form_submit_button("Add level", type="primary"):
            wanted = {key: value for key, value in required.items() if value is not None}
            try:
                changes = data.add_level(context, family_id, title, description, wanted)
            except EditRefused as error:
                st.error(as_text(error), icon=":material/error:")
            else:
                flash("family", reported(changes))
                select_next_run(FAMILY_KEY, family)
                select_next_run(LEVEL_KEY, rank)
                next_form_round(f"add_level_{family_id}")
                st.rerun()


def remove_level_form(own: pd.DataFrame) -> None:
    top = own.loc[own["rank"].idxmax()]
    level_id, rank = int(top["level_id"]), int(top["rank"])
    words = f"level {rank} ({as_text(top['title'])})"
    with st.expander(f"Remove {words}", icon=":material/delete:"):
        st.caption(
            "Only the top level can be removed, and only while it is nobody's title level and "
            "nobody aims for it in an active goal."
        )
        with st.form(f"framework_remove_level_{level_id}"):
            also = f" and its {top['requirements']} requirements" if top["requirements"] else ""
            sure = st.checkbox(
                f"Yes, remove {words}{also}", key=f"framework_remove_level_sure_{level_id}"
            )
            if st.form_submit_button("Remove level"):
                if not sure:
                    st.error("Tick the box to confirm the removal.", icon=":material/error:")
                    return
                try:
                    changes = data.remove_level(context, level_id)
                except EditRefused as error:
                    st.error(as_text(error), icon=":material/error:")
                else:
                    flash("family", reported(changes))
                    select_next_run(LEVEL_KEY, rank - 1)
                    st.rerun()


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
            f"These competencies override some of these settings with their own (see each "
            f"one's on the Competencies tab), and keep them: "
            f"{as_text(', '.join(outline.overridden))}."
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
    level_counts(preview)
    differences = settings_differences(outline.settings, preview.settings)
    st.write(f"Against the current settings ({'; '.join(differences)}): {preview.summary()}")
    level_changes_table(preview)
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


def level_counts(preview: LevelPreview) -> None:
    counts = st.columns(4)
    counts[0].metric("People on a pathway", f"{preview.people:,}")
    counts[1].metric("Level would change", f"{preview.changed:,}")
    counts[2].metric("Would move up", f"{preview.raised:,}")
    counts[3].metric("Would move down", f"{preview.lowered:,}")


def level_changes_table(preview: LevelPreview) -> None:
    if preview.changes.empty:
        return
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
