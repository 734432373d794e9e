"""Access and audit: who the L&D admins are, and the trail of every change, export and refusal.

For L&D admins only: `app.py` lists the page for them alone, and the queries refuse anyone else.
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import streamlit as st

from data_model.access import ensure_sees_everyone
from data_model.config import ld_admin_claim, login_configured
from data_model.roles import RoleChangeRefused
from ui import access, stranded
from ui.audited import CSV_MIME, EXCEL_MIME, audited_download, csv_file, excel_file
from ui.context import PageContext, page_context
from ui.formatting import whole

ALL_ACTIONS = "All actions"
FLASH_KEY = "access_flash"
ALERTS = {"success": st.success, "info": st.info, "warning": st.warning, "error": st.error}
TRAIL_LIMIT = 5_000
DEFAULT_DAYS = 30

context = page_context()
ensure_sees_everyone(context.viewer, "access_and_audit")

st.title("Access and audit")
st.caption(
    "Learners see their own data, managers everyone below them, L&D admins everyone. "
    "Name the L&D admins here; every change, export and refused look is in the trail below."
)

# L&D admins -------------------------------------------------------------------------------

st.subheader("L&D admins")
claim, claim_value = ld_admin_claim()
if claim and login_configured():
    st.caption(
        f"Also an L&D admin: anyone whose sign-in has `{claim_value}` in its `{claim}` claim "
        "(set in secrets.toml under `[pathwise]`)."
    )
grants = access.grants(context)
if grants.empty:
    st.info(
        "No one is named an L&D admin by email yet. Grant the role below.",
        icon=":material/lightbulb:",
    )
else:
    st.dataframe(
        grants,
        hide_index=True,
        width="stretch",
        placeholder="—",
        column_order=["email", "name", "granted_by", "granted_at"],
        column_config={
            "email": st.column_config.TextColumn("Email"),
            "name": st.column_config.TextColumn("Name", help="Empty when not in the roster."),
            "granted_by": st.column_config.TextColumn("Granted by"),
            "granted_at": st.column_config.DatetimeColumn("Granted", format="D MMM YYYY"),
        },
    )


def change_role(change: Callable[[PageContext, str], bool], key: str, done: str, same: str) -> None:
    """Form callback: runs before the page, so the table above shows the change at once."""
    email = (st.session_state.get(key) or "").strip().lower()
    if not email:
        st.session_state[FLASH_KEY] = ("warning", "Enter or choose an email first.")
        return
    try:
        changed = change(context, email)
    except RoleChangeRefused as refusal:
        st.session_state[FLASH_KEY] = ("error", str(refusal))
        return
    st.session_state[FLASH_KEY] = (
        ("success", done.format(email))
        if changed
        else (
            "info",
            same.format(email),
        )
    )


grant_column, revoke_column = st.columns(2)
with grant_column, st.form("access_grant", clear_on_submit=True, border=True):
    st.text_input("Email", placeholder="name@example.com", key="access_grant_email")
    st.form_submit_button(
        "Grant L&D admin",
        icon=":material/add_moderator:",
        on_click=change_role,
        args=(
            access.grant,
            "access_grant_email",
            "{} is now an L&D admin.",
            "{} already was an L&D admin.",
        ),
    )
with revoke_column, st.form("access_revoke", border=True):
    st.selectbox(
        "L&D admin",
        grants["email"].tolist(),
        index=None,
        placeholder="Choose whom to revoke",
        key="access_revoke_email",
    )
    st.form_submit_button(
        "Revoke L&D admin",
        icon=":material/remove_moderator:",
        on_click=change_role,
        args=(
            access.revoke,
            "access_revoke_email",
            "{} is no longer an L&D admin by email.",
            "{} was not an L&D admin by email.",
        ),
    )
flash = st.session_state.pop(FLASH_KEY, None)
if flash is not None:
    level, text = flash
    ALERTS[level](text)

# Audit trail -------------------------------------------------------------------------------

st.subheader("Audit trail")
today = datetime.now(UTC).date()
with st.container(horizontal=True):
    actor = st.text_input(
        "Actor", placeholder="email or part of it", key="audit_actor", width=260
    ).strip()
    action = st.selectbox(
        "Action", [ALL_ACTIONS, *access.actions(context)], key="audit_action", width=220
    )
    dates = st.date_input(
        "Dates",
        value=(today - timedelta(days=DEFAULT_DAYS), today),
        max_value=today,
        key="audit_dates",
        width=260,
    )
since, until = (dates[0], dates[1]) if len(dates) == 2 else (dates[0], dates[0])
filters = {
    "actor_filter": actor or None,
    "action_filter": None if action == ALL_ACTIONS else action,
    "since": since.isoformat(),
    "until": until.isoformat(),
}
trail = access.trail(
    context, filters["actor_filter"], filters["action_filter"], since, until, TRAIL_LIMIT
)
if trail.empty:
    st.info(
        "No entries match. Widen the dates or clear the actor and action filters.",
        icon=":material/filter_alt_off:",
    )
else:
    shown = f"{whole(len(trail))} entries, newest first"
    if len(trail) == TRAIL_LIMIT:
        shown += f" (the newest {whole(TRAIL_LIMIT)}: narrow the filters to see older ones)"
    st.caption(shown)
    st.dataframe(
        trail,
        hide_index=True,
        width="stretch",
        placeholder="—",
        column_config={
            "occurred_at": st.column_config.DatetimeColumn(
                "When (UTC)", format="D MMM YYYY, HH:mm:ss"
            ),
            "actor": st.column_config.TextColumn("Who"),
            "action": st.column_config.TextColumn("Action"),
            "target_type": st.column_config.TextColumn("What"),
            "target_id": st.column_config.TextColumn("Which"),
            "details": st.column_config.JsonColumn("Details"),
        },
    )
    stem = f"pathwise-audit-{since.isoformat()}-to-{until.isoformat()}"
    details = {**filters, "rows": len(trail)}
    with st.container(horizontal=True):
        audited_download(
            "Download CSV",
            csv_file(trail),
            f"{stem}.csv",
            what="audit_trail",
            mime=CSV_MIME,
            key="audit_csv",
            details=details,
        )
        audited_download(
            "Download Excel",
            excel_file(trail, "Audit trail"),
            f"{stem}.xlsx",
            what="audit_trail",
            mime=EXCEL_MIME,
            key="audit_excel",
            details=details,
        )

# Stranded verification requests ---------------------------------------------------------------

st.subheader("Verification requests no one can answer")
st.caption(
    "Pending informal learning whose verifier is no longer above the learner, has left or is "
    "gone from the roster, usually after a roster import. The inbox no longer offers these to "
    "anyone; each learner sees theirs on My progress and can send them to someone they report "
    "to now."
)
waiting = stranded.everyone(context)
if waiting.empty:
    st.caption("None: every pending request waits on someone the learner reports to.")
else:
    st.caption(f"{whole(len(waiting))} requests, by learner, oldest first")
    stranded.table(waiting, with_person=True)
