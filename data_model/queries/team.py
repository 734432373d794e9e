"""A manager's direct reports and how much evidence each has lately."""

from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from data_model.access import Viewer, ensure_can_view, visible_people
from data_model.models import JobFamily, PathwayLevel, Person
from data_model.queries.evidence import read_frame, record_stats

RECENT_RECORDS_DAYS = 365
QUIET_AFTER_DAYS = 180
"""A report with no evidence for this long is one their manager may want to talk to."""


def team_overview(
    session: Session, viewer: Viewer, manager_id: int, now: datetime | None = None
) -> pd.DataFrame:
    """The manager's active direct reports, one row each, by name.

    Columns: person_id, name, email, title, job_family, department, records_last_365_days,
    last_evidence, pending_verification (their records still awaiting a check), and
    evidence_last_180_days (whether they have any evidence that recent).
    """
    ensure_can_view(session, viewer, manager_id)
    now = now or datetime.now(UTC)
    stats = record_stats(
        now, {"last_365_days": RECENT_RECORDS_DAYS, "last_180_days": QUIET_AFTER_DAYS}
    ).subquery()
    statement = (
        select(
            Person.id.label("person_id"),
            Person.name,
            Person.email,
            PathwayLevel.title,
            JobFamily.name.label("job_family"),
            Person.department,
            func.coalesce(stats.c.last_365_days, 0).label("records_last_365_days"),
            stats.c.last_evidence,
            func.coalesce(stats.c.pending, 0).label("pending_verification"),
            (func.coalesce(stats.c.last_180_days, 0) > 0).label("evidence_last_180_days"),
        )
        .outerjoin(JobFamily, JobFamily.id == Person.job_family_id)
        .outerjoin(
            PathwayLevel,
            and_(
                PathwayLevel.job_family_id == Person.job_family_id,
                PathwayLevel.rank == Person.title_level,
            ),
        )
        .outerjoin(stats, stats.c.person_id == Person.id)
        .where(
            Person.manager_id == manager_id,
            Person.active.is_(True),
            Person.id.in_(visible_people(viewer)),
        )
        .order_by(Person.name, Person.id)
    )
    frame = read_frame(session, statement)
    return frame.astype({"evidence_last_180_days": bool})
