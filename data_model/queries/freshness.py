"""How fresh the data is: when each source was last imported, and who has no recent evidence.

Figures built on stale imports look precise and are wrong; this is what tells L&D which
numbers to trust today and whom the evidence has stopped reaching.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from data_model.access import NotPermitted, Viewer
from data_model.models import BatchStatus, ImportBatch, JobFamily, LearningRecord, Person
from data_model.queries.evidence import COUNTS_AS_EVIDENCE, read_frame
from data_model.queries.organisation import EVERYONE, OrganisationFilter, people_in

QUIET_DAYS = 180
"""No evidence for this long: the records are not reaching this person, or they are not
learning; either way someone should look."""
QUIET_ROWS = 200
"""People listed by name; the count covers everyone."""

IMPORT_COLUMNS = [
    "source", "last_import", "file_name", "imported_by", "rows_loaded", "rows_rejected",
    "imports", "days_since",
]  # fmt: skip
QUIET_COLUMNS = ["person_id", "name", "department", "job_family", "manager", "last_evidence"]


@dataclass(frozen=True)
class Freshness:
    imports: pd.DataFrame
    """One row per import source (the importer's kind), most recent first: IMPORT_COLUMNS."""
    quiet_count: int
    """Active people matching the filter with no evidence in the last `quiet_days`."""
    quiet_people: pd.DataFrame
    """The first QUIET_ROWS of them, longest quiet first (never any evidence first)."""
    quiet_days: int


def last_imports(session: Session, viewer: Viewer, now: datetime | None = None) -> pd.DataFrame:
    """The latest applied import of each source (batch ids grow with time), most recent first.
    Only for L&D admins and the operator: imports are organisation-wide and name who ran them."""
    if not viewer.sees_everyone:
        raise NotPermitted
    now = now or datetime.now(UTC)
    applied = ImportBatch.status == BatchStatus.APPLIED
    latest = (
        select(
            ImportBatch.kind,
            func.max(ImportBatch.id).label("batch_id"),
            func.count(ImportBatch.id).label("imports"),
        )
        .where(applied)
        .group_by(ImportBatch.kind)
        .subquery()
    )
    moment = func.coalesce(ImportBatch.finished_at, ImportBatch.started_at)
    statement = (
        select(
            ImportBatch.kind.label("source"),
            moment.label("last_import"),
            ImportBatch.file_name,
            ImportBatch.imported_by,
            ImportBatch.rows_loaded,
            ImportBatch.rows_rejected,
            latest.c.imports,
        )
        .join(latest, latest.c.batch_id == ImportBatch.id)
        .order_by(moment.desc(), ImportBatch.id.desc())
    )
    frame = read_frame(session, statement)
    frame["last_import"] = pd.to_datetime(frame["last_import"], utc=True)
    frame["days_since"] = [(now - moment.to_pydatetime()).days for moment in frame["last_import"]]
    return frame[IMPORT_COLUMNS]


def _last_evidence() -> Select:
    return (
        select(
            LearningRecord.person_id,
            func.max(LearningRecord.occurred_at).label("last_evidence"),
        )
        .where(COUNTS_AS_EVIDENCE)
        .group_by(LearningRecord.person_id)
    )


def quiet_people(
    session: Session,
    viewer: Viewer,
    where: OrganisationFilter = EVERYONE,
    days: int = QUIET_DAYS,
    now: datetime | None = None,
    limit: int = QUIET_ROWS,
) -> tuple[int, pd.DataFrame]:
    """How many active people in scope and filter have no evidence in `days`, and the first
    `limit` of them (QUIET_COLUMNS), never-any-evidence first, then longest quiet."""
    now = now or datetime.now(UTC)
    last = _last_evidence().subquery()
    quiet = (last.c.last_evidence.is_(None)) | (last.c.last_evidence < now - timedelta(days=days))
    manager = aliased(Person)
    base = (
        select(Person.id)
        .outerjoin(last, last.c.person_id == Person.id)
        .where(Person.id.in_(people_in(viewer, where)), quiet)
    )
    count = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    statement = (
        select(
            Person.id.label("person_id"),
            Person.name,
            Person.department,
            JobFamily.name.label("job_family"),
            manager.name.label("manager"),
            last.c.last_evidence,
        )
        .outerjoin(last, last.c.person_id == Person.id)
        .outerjoin(JobFamily, JobFamily.id == Person.job_family_id)
        .outerjoin(manager, manager.id == Person.manager_id)
        .where(Person.id.in_(people_in(viewer, where)), quiet)
        .order_by(last.c.last_evidence.is_not(None), last.c.last_evidence, Person.name, Person.id)
        .limit(limit)
    )
    frame = read_frame(session, statement)
    frame["last_evidence"] = pd.to_datetime(frame["last_evidence"], utc=True)
    return count, frame[QUIET_COLUMNS]


def freshness(
    session: Session,
    viewer: Viewer,
    where: OrganisationFilter = EVERYONE,
    days: int = QUIET_DAYS,
    now: datetime | None = None,
) -> Freshness:
    """Last import per source and the people without recent evidence, for an L&D admin."""
    imports = last_imports(session, viewer, now)
    count, people = quiet_people(session, viewer, where, days, now)
    return Freshness(imports=imports, quiet_count=count, quiet_people=people, quiet_days=days)
