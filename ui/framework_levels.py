"""The Framework page's Job families and levels tab: a job family's levels, one of them and
what it asks for edited, a level added on top and the top one removed."""

import pandas as pd
import streamlit as st

from loaders.framework_edit import FrameworkOutline
from ui import framework as data
from ui.context import PageContext
from ui.formatting import as_text
from ui.framework_forms import (
    apply_selection,
    form_round,
    optional_float,
    removal_form,
    save_edit,
    show_flash,
)

FAMILY_KEY = "framework_family"
LEVEL_KEY = "framework_level"


def families_section(context: PageContext, outline: FrameworkOutline) -> None:
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
        levels_part(context, outline, own, names[family])
    add_level_form(context, outline, int(ids[family]), family, own)
    if not own.empty:
        remove_level_form(context, own)


def levels_part(
    context: PageContext, outline: FrameworkOutline, own: pd.DataFrame, family_name: str
) -> None:
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
        level_form(context, int(level_id), level)
    with right:
        requirement_form(context, outline, int(level_id))
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
    context: PageContext, outline: FrameworkOutline, family_id: int, family: str, own: pd.DataFrame
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
            save_edit(
                "family",
                lambda: data.add_level(context, family_id, title, description, wanted),
                select={FAMILY_KEY: family, LEVEL_KEY: rank},
                new_round=f"add_level_{family_id}",
            )


def remove_level_form(context: PageContext, own: pd.DataFrame) -> None:
    top = own.loc[own["rank"].idxmax()]
    level_id, rank = int(top["level_id"]), int(top["rank"])
    removal_form(
        "family",
        kind="level",
        item_id=level_id,
        words=f"level {rank} ({as_text(top['title'])})",
        also=f" and its {top['requirements']} requirements" if top["requirements"] else "",
        explanation="Only the top level can be removed, and only while it is nobody's title "
        "level and nobody aims for it in an active goal.",
        remove=lambda: data.remove_level(context, level_id),
        select={LEVEL_KEY: rank - 1},
    )


def level_form(context: PageContext, level_id: int, level: pd.Series) -> None:
    with st.form(f"framework_level_form_{level_id}"):
        title = st.text_input("Title", value=level["title"], max_chars=256)
        description = st.text_area("Level description", value=level["description"])
        if st.form_submit_button("Save level"):
            save_edit("family", lambda: data.update_level(context, level_id, title, description))


def requirement_form(context: PageContext, outline: FrameworkOutline, level_id: int) -> None:
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
            save_edit(
                "family",
                lambda: data.update_requirement(
                    context,
                    level_id,
                    int(competency_id),
                    None if remove else required,
                    weight,
                    critical,
                ),
            )
