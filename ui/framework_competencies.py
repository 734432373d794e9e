"""The Framework page's Competencies tab: the framework's competencies, one of them edited
(with its own mastery settings) or removed, and a form that adds one."""

import streamlit as st

from data_model.models import CompetencyCategory
from loaders.framework_edit import FrameworkOutline
from ui import framework as data
from ui.context import PageContext
from ui.formatting import as_text
from ui.framework_competency_settings import competency_settings_form
from ui.framework_forms import (
    apply_selection,
    form_round,
    level_words,
    removal_form,
    save_edit,
    show_flash,
)

COMPETENCY_KEY = "framework_competency"
CATEGORIES = [str(category) for category in CompetencyCategory]


def competencies_section(context: PageContext, outline: FrameworkOutline) -> None:
    show_flash("competency")
    if outline.competencies.empty:
        st.info(
            "This framework has no competencies yet: add the first one below.",
            icon=":material/info:",
        )
    else:
        competency_part(context, outline)
    add_competency_form(context, outline)


def competency_part(context: PageContext, outline: FrameworkOutline) -> None:
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
    with st.form(f"framework_competency_form_{competency_id}"):
        name = st.text_input("Name", value=row["name"], max_chars=256)
        category = st.selectbox(
            "Category",
            CATEGORIES,
            index=CATEGORIES.index(str(row["category"])),
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
            save_edit(
                "competency",
                lambda: data.update_competency(
                    context, int(competency_id), name, category, description, written
                ),
            )
    competency_settings_form(context, outline, int(competency_id), row["code"])
    remove_competency_form(context, outline, int(competency_id), row["code"])


def add_competency_form(context: PageContext, outline: FrameworkOutline) -> None:
    round_ = form_round("add_competency")
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
        category = st.selectbox("Competency category", CATEGORIES, format_func=str.capitalize)
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
            save_edit(
                "competency",
                lambda: data.add_competency(
                    context, outline.framework_id, code, name, category, description, written
                ),
                select={COMPETENCY_KEY: code.strip()},
                new_round="add_competency",
            )


def remove_competency_form(
    context: PageContext, outline: FrameworkOutline, competency_id: int, code: str
) -> None:
    asked = int((outline.requirements["competency_id"] == competency_id).sum())
    removal_form(
        "competency",
        kind="competency",
        item_id=competency_id,
        words=as_text(code),
        also=f" and the {asked} requirements that ask for it" if asked else "",
        explanation="Only a competency that no learning record, goal or catalogue activity "
        "points at can be removed, so nothing is lost; the levels that ask for it stop asking.",
        remove=lambda: data.remove_competency(context, competency_id),
    )
