"""What the Framework page's forms share: a save's report shown after the rerun it causes,
selecting what a save added, emptying an add form once it has added, showing a refusal, and
the confirm-then-remove form."""

from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

from loaders.framework_edit import CompetencyRemoved, EditRefused, FrameworkOutline
from loaders.framework_yaml import FrameworkChanges
from ui.formatting import as_text

Report = FrameworkChanges | CompetencyRemoved
FLASH_KEY = "framework_flash"
"""A message for the next run, after a save reran the page: (section, text)."""
SELECT_KEY = "framework_select"
"""What to select on the next run, after a save added or removed something: {widget key:
code or rank}."""


def flash(section: str, text: str) -> None:
    st.session_state[FLASH_KEY] = (section, text)


def show_flash(section: str) -> None:
    waiting = st.session_state.get(FLASH_KEY)
    if waiting and waiting[0] == section:
        del st.session_state[FLASH_KEY]
        st.success(waiting[1], icon=":material/check_circle:")


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


def optional_float(value: object) -> float | None:
    return None if value is None else float(value)


def level_words(outline: FrameworkOutline, level: float) -> str:
    label = outline.labels.get(int(level)) if float(level).is_integer() else None
    return f"{level:g} ({label})" if label else f"{level:g}"


def show_refusal(error: EditRefused) -> None:
    st.error(as_text(error), icon=":material/error:")


def save_edit(
    section: str,
    edit: Callable[[], Report],
    select: Mapping[str, object] | None = None,
    new_round: str | None = None,
) -> None:
    """Run one edit from a form. A refusal shows its reason where the form is, which keeps
    what was typed; a save reruns the page with its report shown above `section`, each widget
    in `select` (key: code or rank) selecting what was saved, and the add form `new_round`
    (its name, as `form_round` takes it) emptied."""
    try:
        changes = edit()
    except EditRefused as error:
        show_refusal(error)
        return
    flash(section, as_text(changes.summary()) if changes.changed else "Nothing changed.")
    for key, value in (select or {}).items():
        st.session_state.setdefault(SELECT_KEY, {})[key] = value
    if new_round is not None:
        st.session_state[f"framework_round_{new_round}"] = form_round(new_round) + 1
    st.rerun()


def removal_form(
    section: str,
    *,
    kind: str,
    item_id: int,
    words: str,
    also: str,
    explanation: str,
    remove: Callable[[], Report],
    select: Mapping[str, object] | None = None,
) -> None:
    """An expander "Remove `words`" whose form removes a `kind` ("competency", "level") only
    once "Yes, remove `words``also`" is ticked; its widgets are keyed by kind and `item_id`.
    The removal is saved as `save_edit` saves any edit."""
    with st.expander(f"Remove {words}", icon=":material/delete:"):
        st.caption(explanation)
        with st.form(f"framework_remove_{kind}_{item_id}"):
            sure = st.checkbox(
                f"Yes, remove {words}{also}", key=f"framework_remove_{kind}_sure_{item_id}"
            )
            if st.form_submit_button(f"Remove {kind}"):
                if sure:
                    save_edit(section, remove, select)
                else:
                    st.error("Tick the box to confirm the removal.", icon=":material/error:")
