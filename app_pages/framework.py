"""Framework: browse and edit competencies, level descriptors, pathway levels and requirements,
and the mastery settings, with a preview of whose attained level a settings change would move
before it is saved. Competencies and a job family's top level can be added and removed, and a
competency can have mastery settings of its own, previewed the same way before they are saved.
For L&D admins; `loaders.framework_edit` refuses everyone else and holds every rule (what may be
removed, what is recomputed). Each tab is drawn by its own module in `ui/`.
"""

import streamlit as st

from ui import framework as data
from ui.context import page_context
from ui.formatting import as_text
from ui.framework_competencies import competencies_section
from ui.framework_forms import level_words
from ui.framework_levels import families_section
from ui.framework_settings import settings_section

context = page_context()
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
    competencies_section(context, outline)
with families_tab:
    families_section(context, outline)
with settings_tab:
    settings_section(context, outline)
