"""Cached reads and writes for the "Access and audit" page: role grants and the audit trail.

Reads take the `PageContext`, so they are keyed by viewer; the queries refuse anyone but an
L&D admin, whatever the page does.
"""

from datetime import date

import pandas as pd
import streamlit as st

from data_model.models import Role
from data_model.queries.audit import audit_actions, audit_trail
from data_model.roles import grant_role, revoke_role, role_grants
from ui import data
from ui.context import PageContext
from ui.database import session_for

TRAIL_TTL = "15s"
"""Short: an admin checking what just happened should see it."""


@st.cache_data(ttl=TRAIL_TTL, max_entries=64, show_spinner=False)
def trail(
    context: PageContext,
    actor: str | None,
    action: str | None,
    since: date | None,
    until: date | None,
    limit: int,
) -> pd.DataFrame:
    with session_for(context.database_url) as session:
        return audit_trail(session, context.viewer, actor, action, since, until, limit)


@st.cache_data(ttl=TRAIL_TTL, max_entries=16, show_spinner=False)
def actions(context: PageContext) -> list[str]:
    with session_for(context.database_url) as session:
        return audit_actions(session, context.viewer)


@st.cache_data(ttl="5m", max_entries=16, show_spinner=False)
def grants(context: PageContext) -> pd.DataFrame:
    with session_for(context.database_url) as session:
        return role_grants(session, context.viewer)


def _after_role_change() -> None:
    """Roles are read when a viewer is resolved: forget those reads so the change shows now."""
    grants.clear()
    trail.clear()
    actions.clear()
    data.viewer_with_email.clear()
    data.demo_personas.clear()


def grant(context: PageContext, email: str) -> bool:
    """Make `email` an L&D admin, audited; False when they already were."""
    with session_for(context.database_url) as session, session.begin():
        changed = grant_role(session, context.viewer, email, Role.LD_ADMIN)
    _after_role_change()
    return changed


def revoke(context: PageContext, email: str) -> bool:
    """Take the L&D admin role from `email`, audited; False when they did not hold it."""
    with session_for(context.database_url) as session, session.begin():
        changed = revoke_role(session, context.viewer, email, Role.LD_ADMIN)
    _after_role_change()
    return changed
