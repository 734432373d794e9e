"""A competency's own mastery settings on the Framework page's Competencies tab: a form where
a blank value follows the framework's, a preview of whose level, mastery and proficiency a
change would move, and its save, which recomputes the competency's mastery."""

import streamlit as st

from data_model.mastery_methods import parse_method
from data_model.mastery_settings import MasterySettings
from data_model.models import SourceKind
from loaders.framework_edit import (
    METHODS,
    CompetencySettingsPreview,
    EditRefused,
    FrameworkOutline,
    overrides_from_form,
    settings_differences,
)
from ui import framework as data
from ui.context import PageContext
from ui.formatting import as_text
from ui.framework_forms import flash, optional_float, show_refusal
from ui.framework_settings import (
    METHOD_LABELS,
    PARAMETER_HELP,
    PERSON_COLUMNS,
    level_changes_table,
    level_counts,
    preview_actions,
    trust_inputs,
)
from ui.imports import progress_bar

COMPETENCY_PREVIEW_KEY = "framework_competency_preview"
"""The preview of a competency's own settings last asked for: a `CompetencySettingsPreview`."""


def competency_settings_form(
    context: PageContext, outline: FrameworkOutline, competency_id: int, code: str
) -> None:
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
                help=PARAMETER_HELP,
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
            trust = trust_inputs(
                {kind: optional_float(own.get("trust", {}).get(kind.value)) for kind in SourceKind},
                {kind: f"{framework.trust[kind]:g}" for kind in SourceKind},
                key,
            )
            submitted = st.form_submit_button("Preview its new settings")
        if submitted:
            preview_competency_settings(context, competency_id, code, method, parameter,
                                        half_life, minimum, trust)  # fmt: skip
        competency_preview_part(context, outline, competency_id)


def preview_competency_settings(
    context: PageContext,
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
        show_refusal(error)


def competency_preview_part(
    context: PageContext, outline: FrameworkOutline, competency_id: int
) -> None:
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
                **PERSON_COLUMNS,
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
    preview_actions(
        COMPETENCY_PREVIEW_KEY,
        "Save and recompute its mastery",
        f"framework_competency_settings_save_{competency_id}",
        f"framework_competency_settings_discard_{competency_id}",
        lambda: save_competency_settings(context, preview),
    )


def save_competency_settings(context: PageContext, preview: CompetencySettingsPreview) -> None:
    code = as_text(preview.code)
    try:
        with progress_bar(f"Recomputing the mastery of {code}") as progress:
            saved = data.save_competency_settings(
                context, preview.competency_id, preview.overrides, progress, preview
            )
    except EditRefused as error:
        show_refusal(error)
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
