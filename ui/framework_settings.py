"""The Framework page's Mastery settings tab: the framework's settings, a preview of whose
attained level a change would move, and its save. Also what a competency's own settings form
shares with it: the labels, the trust inputs and the preview's counts, table and buttons."""

from collections.abc import Callable, Mapping

import streamlit as st

from data_model.mastery_methods import PARAMETER_DEFAULTS, parse_method
from data_model.models import SourceKind
from loaders.framework_edit import (
    METHODS,
    EditRefused,
    FrameworkOutline,
    LevelPreview,
    SettingsPreview,
    settings_differences,
    settings_from_form,
)
from ui import framework as data
from ui.context import PageContext
from ui.formatting import as_text
from ui.framework_forms import flash, show_flash, show_refusal
from ui.imports import progress_bar

PREVIEW_KEY = "framework_preview"
"""The settings preview last asked for: a `SettingsPreview`."""
METHOD_LABELS = {
    "evidence": "Evidence, level by level (Pathwise's default)",
    "highest": "Highest value",
    "latest": "Latest value",
    "average": "Average",
    "weighted_average": "Weighted average (W% on the latest)",
    "decaying_average": "Decaying average (W% on each newer value)",
    "n_mastery": "n mastery (N values at proficient or above)",
}
PARAMETER_HELP = (
    "W, a percentage, for the weighted and decaying averages; N, a whole number, for n "
    "mastery. The other methods take none."
)
PERSON_COLUMNS = {
    "person": st.column_config.TextColumn("Person"),
    "name": st.column_config.TextColumn("Name"),
    "job_family": st.column_config.TextColumn("Job family"),
}
"""How a preview's tables show whose level or mastery would change."""
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


def settings_section(context: PageContext, outline: FrameworkOutline) -> None:
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
            help=PARAMETER_HELP,
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
        trust = trust_inputs({kind: float(settings.trust[kind]) for kind in SourceKind})
        asked = st.form_submit_button("Preview the change", type="primary")
    if asked:
        try:
            wanted = settings_from_form(method, parameter, half_life, minimum, trust)
        except EditRefused as error:
            show_refusal(error)
        else:
            with progress_bar("Working out everyone's level under the new settings") as progress:
                st.session_state[PREVIEW_KEY] = data.preview(
                    context, outline.framework_id, wanted, progress
                )
    preview_part(context, outline)


def trust_inputs(
    values: Mapping[SourceKind, float | None],
    placeholders: Mapping[SourceKind, str] | None = None,
    key: str | None = None,
) -> dict[str, float | None]:
    """How much each kind of evidence is trusted, three kinds to a row, by kind's value; with
    `key`, each input is keyed `{key}_trust_{kind}`."""
    st.markdown("**Trust per kind of evidence** (0 ignores it, 1 trusts it fully)")
    columns = st.columns(3)
    return {
        kind.value: columns[position % 3].number_input(
            SOURCE_LABELS[kind],
            min_value=0.0,
            value=values[kind],
            step=0.1,
            placeholder=placeholders[kind] if placeholders else None,
            key=f"{key}_trust_{kind.value}" if key else None,
        )
        for position, kind in enumerate(SourceKind)
    }


def preview_part(context: PageContext, outline: FrameworkOutline) -> None:
    preview: SettingsPreview | None = st.session_state.get(PREVIEW_KEY)
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
    preview_actions(
        PREVIEW_KEY,
        "Save and recompute mastery",
        "framework_settings_save",
        "framework_settings_discard",
        lambda: save_settings(context, outline.framework_id, preview),
    )


def save_settings(context: PageContext, framework_id: int, preview: SettingsPreview) -> None:
    with progress_bar("Recomputing mastery") as progress:
        saved = data.save_settings(context, framework_id, preview.settings, progress, preview)
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
            **PERSON_COLUMNS,
            "before": st.column_config.NumberColumn("Level now"),
            "before_title": st.column_config.TextColumn("Title now"),
            "after": st.column_config.NumberColumn("Level after"),
            "after_title": st.column_config.TextColumn("Title after"),
        },
    )
    st.caption("Everyone whose attained level would change, by job family and name.")


def preview_actions(
    state_key: str, label: str, save_key: str, discard_key: str, save: Callable[[], None]
) -> None:
    """The shown preview's two buttons: `label` runs `save`; discarding forgets the preview
    (kept under `state_key`) and reruns."""
    save_column, discard_column = st.columns([1, 3])
    if save_column.button(label, type="primary", key=save_key):
        save()
    if discard_column.button("Discard the preview", key=discard_key):
        del st.session_state[state_key]
        st.rerun()
