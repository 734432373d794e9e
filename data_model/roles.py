"""Granting and revoking roles by email: L&D admins manage who else is one, audited.

A grant names an email, not a roster person, so a role can be given before the person is
loaded or signs in for the first time.
"""

import re

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_model.access import Viewer, ensure_sees_everyone
from data_model.audit import record_audit
from data_model.models import Person, Role, RoleGrant
from data_model.queries.evidence import read_frame

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class RoleChangeRefused(ValueError):
    """A grant or revocation that cannot be made; the message says why in one sentence."""


def _normalised(email: str) -> str:
    email = email.strip().lower()
    if not EMAIL.match(email) or len(email) > 320:
        raise RoleChangeRefused(f"'{email}' is not an email address.")
    return email


def role_grants(session: Session, viewer: Viewer) -> pd.DataFrame:
    """Every grant, with the roster name where the email is in the roster (L&D only).

    Columns: email, role, name (None for someone not in the roster), granted_by, granted_at.
    """
    ensure_sees_everyone(viewer, "role_grants")
    statement = (
        select(
            RoleGrant.email,
            RoleGrant.role,
            Person.name,
            RoleGrant.granted_by,
            RoleGrant.granted_at,
        )
        .outerjoin(Person, func.lower(Person.email) == func.lower(RoleGrant.email))
        .order_by(RoleGrant.email, RoleGrant.role)
    )
    frame = read_frame(session, statement)
    frame["role"] = frame["role"].map(str)
    return frame


def grant_role(session: Session, viewer: Viewer, email: str, role: Role) -> bool:
    """Grant `role` to `email` in the caller's transaction; False when it was already held."""
    ensure_sees_everyone(viewer, "role_grants")
    email = _normalised(email)
    held = session.scalar(
        select(RoleGrant.id).where(func.lower(RoleGrant.email) == email, RoleGrant.role == role)
    )
    if held is not None:
        return False
    session.add(RoleGrant(email=email, role=role, granted_by=viewer.email))
    record_audit(session, viewer, "grant_role", "role_grant", email, role=str(role))
    return True


def revoke_role(session: Session, viewer: Viewer, email: str, role: Role) -> bool:
    """Revoke `role` from `email` in the caller's transaction; False when it was not held.

    An admin cannot revoke their own grant, so the last admin can never lock everyone out.
    """
    ensure_sees_everyone(viewer, "role_grants")
    email = _normalised(email)
    if email == viewer.email.strip().lower():
        raise RoleChangeRefused("You cannot revoke your own role: ask another L&D admin.")
    grants = session.scalars(
        select(RoleGrant).where(func.lower(RoleGrant.email) == email, RoleGrant.role == role)
    ).all()
    if not grants:
        return False
    for grant in grants:
        session.delete(grant)
    record_audit(session, viewer, "revoke_role", "role_grant", email, role=str(role))
    return True
