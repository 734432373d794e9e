"""One person's profile and the evidence they have so far."""

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, aliased

from data_model.access import Viewer, ensure_can_view, visible_people
from data_model.models import (
    Competency,
    CompetencyCategory,
    Framework,
    JobFamily,
    LearningRecord,
    PathwayLevel,
    Person,
    Verification,
)
from data_model.queries.evidence import (
    COUNTS_AS_EVIDENCE,
    count_where,
    evidence_by_competency,
    read_frame,
)

CATEGORY_ORDER = case(
    {category: position for position, category in enumerate(CompetencyCategory)},
    value=Competency.category,
)
"""Technical, professional, values: the order the framework lists its categories in."""


@dataclass(frozen=True)
class PersonSummary:
    person_id: int
    name: str
    email: str
    job_family: str | None
    title_level: int | None
    level_title: str | None
    """The pathway title of `title_level` in the person's job family, when there is one."""
    department: str | None
    location: str | None
    manager_name: str | None


@dataclass(frozen=True)
class EvidenceTotals:
    records: int
    last_evidence: datetime | None
    pending_verification: int


def person_summary(session: Session, viewer: Viewer, person_id: int) -> PersonSummary:
    """Who the person is and where they sit; `NotPermitted` outside the viewer's scope."""
    ensure_can_view(session, viewer, person_id)
    manager = aliased(Person)
    row = session.execute(
        select(
            Person.id.label("person_id"),
            Person.name,
            Person.email,
            JobFamily.name.label("job_family"),
            Person.title_level,
            PathwayLevel.title.label("level_title"),
            Person.department,
            Person.location,
            manager.name.label("manager_name"),
        )
        .outerjoin(JobFamily, JobFamily.id == Person.job_family_id)
        .outerjoin(
            PathwayLevel,
            and_(
                PathwayLevel.job_family_id == Person.job_family_id,
                PathwayLevel.rank == Person.title_level,
            ),
        )
        .outerjoin(manager, manager.id == Person.manager_id)
        .where(Person.id == person_id, Person.id.in_(visible_people(viewer)))
    ).one()
    return PersonSummary(**row._mapping)


def evidence_totals(session: Session, viewer: Viewer, person_id: int) -> EvidenceTotals:
    """How many records the person has, when the last one was, and how many await a check."""
    ensure_can_view(session, viewer, person_id)
    records, last_evidence, pending = session.execute(
        select(
            func.count(LearningRecord.id),
            func.max(LearningRecord.occurred_at),
            count_where(LearningRecord.verification == Verification.PENDING),
        ).where(
            LearningRecord.person_id == person_id,
            LearningRecord.person_id.in_(visible_people(viewer)),
            COUNTS_AS_EVIDENCE,
        )
    ).one()
    return EvidenceTotals(records, last_evidence, pending)


def competency_evidence(session: Session, viewer: Viewer, person_id: int) -> pd.DataFrame:
    """One row per competency the person has evidence for: counts, highest level, recency.

    This is the honest "evidence so far", not a mastery estimate, in category order then by
    name. Columns: competency_id, code, competency, category, records, formal, informal,
    highest_level (NaN when no record shows a level yet), last_evidence,
    pending_verification, scale_max.
    """
    ensure_can_view(session, viewer, person_id)
    evidence = evidence_by_competency()
    statement = (
        select(
            Competency.id.label("competency_id"),
            Competency.code,
            Competency.name.label("competency"),
            Competency.category,
            func.count(evidence.c.record_id).label("records"),
            count_where(evidence.c.formal.is_(True)).label("formal"),
            count_where(evidence.c.formal.is_(False)).label("informal"),
            func.max(evidence.c.level).label("highest_level"),
            func.max(evidence.c.occurred_at).label("last_evidence"),
            count_where(evidence.c.verification == Verification.PENDING).label(
                "pending_verification"
            ),
            Framework.scale_max,
        )
        .join(evidence, evidence.c.competency_id == Competency.id)
        .join(Framework, Framework.id == Competency.framework_id)
        .where(
            evidence.c.person_id == person_id,
            evidence.c.person_id.in_(visible_people(viewer)),
        )
        .group_by(
            Competency.id,
            Competency.code,
            Competency.name,
            Competency.category,
            Framework.scale_max,
        )
        .order_by(CATEGORY_ORDER, Competency.name)
    )
    frame = read_frame(session, statement)
    frame["category"] = frame["category"].map(str)
    frame["highest_level"] = frame["highest_level"].astype(float)
    return frame
