"""The audit trail as L&D admins read it: filtered, newest first, ready to show or export."""

import json
from datetime import UTC, date, datetime, time

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_model.access import Viewer, ensure_sees_everyone
from data_model.models import AuditEntry
from data_model.queries.mastery import end_of_day

AUDIT_COLUMNS = ["occurred_at", "actor", "action", "target_type", "target_id", "details"]
DEFAULT_LIMIT = 1_000


def _moment(value: date | datetime, end: bool) -> datetime:
    """A date bound covers its whole day: `since` from its start, `until` to its end."""
    if isinstance(value, datetime):
        return value
    return end_of_day(value) if end else datetime.combine(value, time.min, tzinfo=UTC)


def audit_trail(
    session: Session,
    viewer: Viewer,
    actor: str | None = None,
    action: str | None = None,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
    limit: int = DEFAULT_LIMIT,
) -> pd.DataFrame:
    """Entries newest first, at most `limit`; L&D admins and the operator only.

    `actor` matches the email case-insensitively, as a part of it ("@example.com" finds a
    domain); `action` exactly; `since` and `until` are inclusive (a date means its whole day).
    Columns: AUDIT_COLUMNS, with `details` as JSON text.
    """
    ensure_sees_everyone(viewer, "audit_trail")
    statement = select(
        AuditEntry.occurred_at,
        AuditEntry.actor,
        AuditEntry.action,
        AuditEntry.target_type,
        AuditEntry.target_id,
        AuditEntry.details,
    )
    if actor:
        pattern = f"%{actor.strip().lower()}%"
        statement = statement.where(func.lower(AuditEntry.actor).like(pattern))
    if action:
        statement = statement.where(AuditEntry.action == action)
    if since is not None:
        statement = statement.where(AuditEntry.occurred_at >= _moment(since, end=False))
    if until is not None:
        statement = statement.where(AuditEntry.occurred_at <= _moment(until, end=True))
    statement = statement.order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc()).limit(limit)
    rows = session.execute(statement).all()
    frame = pd.DataFrame(rows, columns=AUDIT_COLUMNS)
    frame["details"] = [
        json.dumps(details or {}, sort_keys=True, default=str) for details in frame["details"]
    ]
    return frame


def audit_actions(session: Session, viewer: Viewer) -> list[str]:
    """Every action the trail holds, for a filter's choices; L&D admins and the operator only."""
    ensure_sees_everyone(viewer, "audit_trail")
    return list(
        session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all()
    )
