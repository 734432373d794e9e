"""Verification requests the roster stranded: the learner's panel to re-send theirs, and the
cached reads behind it and behind the L&D list on "Access and audit".

A request is stranded when its verifier no longer stands above the learner, has left, or is
gone from the roster (`data_model.queries.stranded`); the inbox no longer offers it to anyone.
"""

import pandas as pd
import streamlit as st

from data_model import informal
from data_model.informal import InvalidEntry
from data_model.queries.stranded import (
    INACTIVE,
    NO_VERIFIER,
    NOT_IN_LINE,
    person_stranded_requests,
    stranded_requests,
)
from ui import learner, team
from ui.context import PageContext
from ui.database import session_for
from ui.formatting import DAY_FORMAT, as_text, whole

TTL = "5m"
FLASH = "stranded_flash"
WHY_TEXT = {
    NOT_IN_LINE: "No longer in the reporting line",
    INACTIVE: "Has left",
    NO_VERIFIER: "No longer on the roster",
}
"""Why no one can answer a request, as the tables say it."""


@st.cache_data(ttl=TTL, max_entries=256, show_spinner=False)
def of_person(context: PageContext, person_id: int) -> pd.DataFrame:
    with session_for(context.database_url) as session:
        return person_stranded_requests(session, context.viewer, person_id)


@st.cache_data(ttl="15s", max_entries=16, show_spinner=False)
def everyone(context: PageContext) -> pd.DataFrame:
    """Short-lived: L&D checking whether a learner has re-sent should see it."""
    with session_for(context.database_url) as session:
        return stranded_requests(session, context.viewer)


def reassign(context: PageContext, record_ids: list[int], verifier_id: int) -> None:
    """Re-send the viewer's records to `verifier_id`, all or none, and forget what it changed:
    the learner's timeline and stranded list, and every inbox (the old verifier's and the new)."""
    with session_for(context.database_url) as session, session.begin():
        for record_id in record_ids:
            informal.reassign_verifier(session, context.viewer, record_id, verifier_id)
    learner.timeline.clear(context, context.person_id)
    of_person.clear(context, context.person_id)
    everyone.clear()
    team.inbox.clear()


def table(stranded: pd.DataFrame, with_person: bool = False) -> None:
    """The stranded requests as a small table; L&D's also names each learner."""
    columns = ["what", "competency", "occurred_at", "verifier", "why"]
    st.dataframe(
        stranded.assign(why=stranded["why"].map(WHY_TEXT)),
        hide_index=True,
        width="stretch",
        placeholder="—",
        column_order=["person", *columns] if with_person else columns,
        column_config={
            "person": st.column_config.TextColumn("Learner"),
            "what": st.column_config.TextColumn("Record", width="medium"),
            "competency": st.column_config.TextColumn("Competency"),
            "occurred_at": st.column_config.DatetimeColumn("Date", format=DAY_FORMAT),
            "verifier": st.column_config.TextColumn("Asked"),
            "why": st.column_config.TextColumn("Why they cannot answer"),
        },
    )


def learner_panel(context: PageContext, person_id: int) -> None:
    """On the learner's own timeline: the requests no one can answer now, and a form to send
    them to someone they report to today. Draws nothing when there are none."""
    flash = st.session_state.pop(FLASH, None)
    if flash is not None:
        kind, text = flash
        (st.success if kind == "success" else st.error)(text, icon=None)
    stranded = of_person(context, person_id)
    if stranded.empty:
        return
    st.warning(
        f"{whole(len(stranded))} of your pending records wait on someone who can no longer "
        "verify them: the roster has moved you or them, or they have left. Send them to "
        "someone you report to now.",
        icon=":material/forward_to_inbox:",
    )
    table(stranded)
    verifiers = learner.verifiers(context, person_id)
    if verifiers.empty:
        st.info(
            "No one above you on the roster to ask yet: ask your L&D team to record your manager.",
            icon=":material/person_search:",
        )
        return
    labels = {
        int(row["record_id"]): f"{row['what']} · {row['competency'] or '—'} · "
        f"{row['occurred_at']:%d %b %Y}"
        for row in stranded.to_dict("records")
    }
    who = dict(zip(verifiers["person_id"], verifiers["name"], strict=True))
    with st.form("reassign_form", border=True):
        st.multiselect(
            "Records to send", list(labels), default=list(labels), format_func=labels.get,
            key="reassign_records",
        )  # fmt: skip
        st.selectbox("Ask to verify instead", list(who), format_func=who.get,
                     key="reassign_verifier")  # fmt: skip
        st.form_submit_button(
            "Send for verification", on_click=_reassign_submitted, args=(context, who)
        )


def _reassign_submitted(context: PageContext, verifiers: dict[int, str]) -> None:
    state = st.session_state
    chosen = [int(record_id) for record_id in state["reassign_records"]]
    if not chosen:
        state[FLASH] = ("error", "Choose at least one record to send.")
        return
    verifier_id = int(state["reassign_verifier"])
    try:
        reassign(context, chosen, verifier_id)
    except InvalidEntry as error:
        state[FLASH] = ("error", str(error))
        return
    asked = as_text(verifiers[verifier_id])
    state[FLASH] = ("success", f"Sent {whole(len(chosen))} record(s) to {asked} to verify.")
