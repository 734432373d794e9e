"""A manager's direct reports and how much evidence each has lately."""

from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from data_model.access import Viewer, ensure_can_view, visible_people
from data_model.models import Competency, Framework, JobFamily, PathwayLevel, Person
from data_model.queries.evidence import read_frame, record_stats
from data_model.queries.progress import TeamProgress

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


STATUS_LABELS = {
    "no_pathway": "No pathway",
    "no_evidence": "No evidence yet",
    "top_level": "Top level",
    "ready": "Ready",
    "at_risk": "At risk",
    "stalled": "Stalled",
    "on_track": "On track",
}
"""How each of `pathways.STATUSES` reads on screen."""
BELOW_FIRST_LEVEL = "Not yet level 1"
MISSING_LABELS = {
    "level": "below the level",
    "fresher evidence": "needs fresher evidence",
    "more trusted evidence": "needs more trusted evidence",
}
"""How each kind of gap (`pathways`: a level gap, or support short) reads on screen."""
TEAM_COLUMNS = [
    "person_id", "person", "name", "job_family", "level", "next_level", "readiness", "status",
    "last_evidence", "recent_evidence", "pending_verification", "gaps",
]  # fmt: skip
GAP_CELL_COLUMNS = ["person_id", "person", "name", "competency", "competency_name", "required",
                    "mastery", "shortfall", "missing"]  # fmt: skip


def level_titles(session: Session) -> pd.DataFrame:
    """Every pathway level: job_family (code), rank, title."""
    statement = (
        select(JobFamily.code.label("job_family"), PathwayLevel.rank, PathwayLevel.title)
        .join(JobFamily, JobFamily.id == PathwayLevel.job_family_id)
        .order_by(JobFamily.code, PathwayLevel.rank)
    )
    return read_frame(session, statement)


def level_label(titles: pd.DataFrame, job_family: str | None, rank: int | None) -> str | None:
    """A level as people say it: its number and its title in that family ("2 · Engineer");
    rank 0 is the pathway rules' "below the first level"."""
    if rank is None:
        return None
    found = titles[(titles["job_family"] == job_family) & (titles["rank"] == rank)]
    if len(found):
        return f"{rank} · {found['title'].iloc[0]}"
    return BELOW_FIRST_LEVEL if rank == 0 else str(rank)


def team_table(
    progress: TeamProgress, overview: pd.DataFrame, titles: pd.DataFrame
) -> pd.DataFrame:
    """One row per report (TEAM_COLUMNS): `team_progress` for level, readiness and status,
    `team_overview` for last evidence (and whether any is from the last QUIET_AFTER_DAYS) and
    pending records; both already scoped."""
    evidence = overview.set_index("person_id")
    rows = [
        {
            "person_id": person.person_id,
            "person": person.person,
            "name": person.name,
            "job_family": evidence["job_family"].get(person.person_id),
            "level": level_label(titles, person.job_family, person.attained_level),
            "next_level": level_label(titles, person.job_family, person.next_level),
            "readiness": person.readiness,
            "status": STATUS_LABELS.get(person.status, person.status),
            "last_evidence": evidence["last_evidence"].get(person.person_id),
            "recent_evidence": bool(
                evidence["evidence_last_180_days"].get(person.person_id, False)
            ),
            "pending_verification": int(evidence["pending_verification"].get(person.person_id, 0)),
            "gaps": len(person.gaps),
        }
        for person in progress.people
    ]
    frame = pd.DataFrame(rows, columns=TEAM_COLUMNS)
    frame["readiness"] = frame["readiness"].astype(float)
    frame["last_evidence"] = pd.to_datetime(frame["last_evidence"], utc=True)
    return frame


def gap_cells(progress: TeamProgress) -> pd.DataFrame:
    """One row per report and next-level gap (GAP_CELL_COLUMNS); `shortfall` is how far mastery
    is below the requirement (no evidence counting as 0), 0 when only support is short."""
    rows = [
        {
            "person_id": person.person_id,
            "person": person.person,
            "name": person.name,
            "competency": gap.competency,
            "competency_name": gap.name,
            "required": gap.required,
            "mastery": gap.mastery,
            "shortfall": max(0.0, gap.required - (gap.mastery or 0.0)),
            "missing": MISSING_LABELS.get(gap.missing, gap.missing),
        }
        for person in progress.people
        for gap in person.gaps
    ]
    return pd.DataFrame(rows, columns=GAP_CELL_COLUMNS).astype(
        {"required": float, "mastery": float, "shortfall": float}
    )


def competency_scales(session: Session) -> pd.DataFrame:
    """Every competency with its framework's scale, by name: competency_id, code, name,
    category, scale_min, scale_max, scale_labels (level as text -> label)."""
    statement = (
        select(
            Competency.id.label("competency_id"),
            Competency.code,
            Competency.name,
            Competency.category,
            Framework.scale_min,
            Framework.scale_max,
            Framework.scale_labels,
        )
        .join(Framework, Framework.id == Competency.framework_id)
        .order_by(Competency.name, Competency.code)
    )
    frame = read_frame(session, statement)
    frame["category"] = frame["category"].astype(str)
    return frame
