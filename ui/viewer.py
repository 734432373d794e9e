"""Who is looking: the signed-in person, or in demo mode whoever the sidebar says."""

import streamlit as st

from data_model.access import Viewer
from data_model.config import ConfigurationError, login_configured
from ui import data

DEMO_BANNER = "Demo mode: no sign-in is configured, so anyone can view as anyone."
PERSONA_ROLES = {"learner": "learner", "manager": "manager", "ld_admin": "L&D admin"}
VIEW_AS_KEY = "view_as"


def current_viewer(url: str) -> Viewer:
    """Demo mode until `[auth]` is in secrets.toml; then single sign-on against the roster."""
    try:
        sign_in = login_configured()
    except ConfigurationError as error:
        st.error(str(error), icon=":material/error:")
        st.stop()
    return signed_in_viewer(url) if sign_in else demo_viewer(url)


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


def signed_in_viewer(url: str) -> Viewer:
    if not st.user.is_logged_in:
        st.title("Pathwise")
        st.write("Sign in with your work account to see your learning progress.")
        if st.button("Sign in", type="primary", icon=":material/login:"):
            st.login()
        st.stop()
    email = str(st.user.get("email") or "")
    viewer = data.viewer_with_email(url, email) if email else None
    if viewer is None:
        st.error(
            f"You are not in the roster as {email or 'this account'}: ask your L&D team "
            "to add you, then sign in again.",
            icon=":material/person_off:",
        )
        if st.button("Sign out", icon=":material/logout:"):
            st.logout()
        st.stop()
    with st.sidebar:
        st.caption(f"Signed in as {viewer.name}")
        if st.button("Sign out", icon=":material/logout:"):
            st.logout()
    return viewer
