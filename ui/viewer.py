"""Who is looking: the signed-in person, or in demo mode whoever the sidebar says.

Demo mode, and with it every way to pick an identity, exists only while secrets.toml has no
`[auth]` section; once it has one, the viewer is the roster person whose email the identity
provider vouches for, an L&D admin when role_grants or the configured claim says so.
"""

import streamlit as st

from data_model.access import NotPermitted, Viewer, visible_person_id, with_claimed_roles
from data_model.audit import record_denied
from data_model.config import ConfigurationError, ld_admin_claim, login_configured
from ui import data
from ui.context import PageContext
from ui.database import engine_for, session_for
from ui.formatting import as_text

DEMO_BANNER = "Demo mode: no sign-in is configured, so anyone can view as anyone."
PERSONA_ROLES = {"learner": "learner", "manager": "manager", "ld_admin": "L&D admin"}
VIEW_AS_KEY = "view_as"
REFUSAL_LOGGED_KEY = "roster_refusal_logged"
"""The email whose "not in the roster" refusal this session has already written to the trail."""


def current_viewer(url: str) -> Viewer:
    """Demo mode until `[auth]` is in secrets.toml; then single sign-on against the roster."""
    try:
        sign_in = login_configured()
        claim, value = ld_admin_claim() if sign_in else (None, None)
    except ConfigurationError as error:
        st.error(str(error), icon=":material/error:")
        st.stop()
    return signed_in_viewer(url, claim, value) if sign_in else demo_viewer(url)


def demo_viewer(url: str) -> Viewer:
    st.info(DEMO_BANNER, icon=":material/visibility:")
    personas = data.demo_personas(url)
    if not personas:
        st.warning(
            "There is no one to view as: the roster has no managers or L&D admins. "
            "Load a roster with `python -m loaders`, then reload this page."
        )
        st.stop()
    roles = [role for role in PERSONA_ROLES if role in personas]
    role = st.sidebar.selectbox(
        "View as",
        roles,
        key=VIEW_AS_KEY,
        format_func=lambda role: f"{personas[role].name} — {PERSONA_ROLES[role]}",
        help="Pick whose eyes to see Pathwise through; the pages follow their access.",
    )
    return personas[role]


def signed_in_viewer(url: str, claim: str | None = None, value: str | None = None) -> Viewer:
    if not st.user.is_logged_in:
        st.title("Pathwise")
        st.write("Sign in with your work account to see your learning progress.")
        if st.button("Sign in", type="primary", icon=":material/login:"):
            st.login()
        st.stop()
    email = str(st.user.get("email") or "")
    viewer = data.viewer_with_email(url, email) if email else None
    if viewer is None:
        _log_not_in_roster(url, email)
        st.error(
            f"You are not in the roster as {email or 'this account'}: ask your L&D team "
            "to add you, then sign in again.",
            icon=":material/person_off:",
        )
        if st.button("Sign out", icon=":material/logout:"):
            st.logout()
        st.stop()
    viewer = with_claimed_roles(viewer, st.user.to_dict(), claim, value)
    with st.sidebar:
        st.caption(f"Signed in as {as_text(viewer.name)}")
        if st.button("Sign out", icon=":material/logout:"):
            st.logout()
    return viewer


def _log_not_in_roster(url: str, email: str) -> None:
    """A denied access in the trail, the actor being the email the identity provider gave;
    once per session and email, not on every rerun of the refusal page."""
    if st.session_state.get(REFUSAL_LOGGED_KEY) == email:
        return
    claimed = (email or "no email given")[:320]
    record_denied(engine_for(url), claimed, NotPermitted("roster", claimed), reason="not in roster")
    st.session_state[REFUSAL_LOGGED_KEY] = email


PERSON_PARAMETER = "person"
"""`?person=<external id>`: the person a drill-down link opens."""


def person_from_query(context: PageContext) -> int | None:
    """The id of the person the URL names, checked against the viewer's scope in SQL.

    `app.py` calls this before any page runs, so a link edited to name someone outside the
    viewer's scope is refused (and logged) whether or not the page reads the parameter;
    pages that do read it call this too and get the same checked id.
    """
    key = st.query_params.get(PERSON_PARAMETER)
    if key is None:
        return None
    with session_for(context.database_url) as session:
        return visible_person_id(session, context.viewer, key)
