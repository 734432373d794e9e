"""Writing to the audit trail: one call for every change, export and refused look.

Every writer in Pathwise (imports, undo, attestations, verifications, framework and settings
edits, exports) and every denied access calls `record_audit` inside its own transaction, so the
entry lands exactly when the change does.
"""

from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from data_model.access import NotPermitted, Viewer
from data_model.models import AuditEntry


def actor_of(viewer: Viewer | str) -> str:
    """The name the trail keeps for whoever acted: their email, or 'operator' for the CLI."""
    return viewer if isinstance(viewer, str) else viewer.email


def record_audit(
    session: Session,
    viewer: Viewer | str,
    action: str,
    target_type: str | None = None,
    target_id: object = None,
    **details: Any,
) -> AuditEntry:
    """Add one entry to the trail in the caller's transaction and return it."""
    entry = AuditEntry(
        actor=actor_of(viewer),
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        details=details,
    )
    session.add(entry)
    return entry


DENIED = "denied"


def record_denied(
    engine: Engine, viewer: Viewer | str, refusal: NotPermitted, **details: Any
) -> None:
    """Log a refused look in a transaction of its own: the read that was refused has nothing
    to commit, and the entry must outlive it. Called where refusals are caught (the app's
    error handler, the command line), so no page or command can forget it."""
    with Session(engine) as session, session.begin():
        record_audit(session, viewer, DENIED, refusal.target_type, refusal.target_id, **details)
