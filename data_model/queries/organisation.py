"""The organisation as a whole, as far as the viewer may see it."""

from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import Select, and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from data_model.access import Viewer, visible_people
from data_model.models import JobFamily, LearningRecord, PathwayLevel, Person
from data_model.queries.evidence import COUNTS_AS_EVIDENCE, occurred_since, read_frame

NO_JOB_FAMILY = "No job family"
NO_PATHWAY_LEVEL = "No pathway level"
RECENT_DAYS = 90


@dataclass(frozen=True)
class OrganisationTotals:
    people: int
    managers: int
    learning_records: int
    records_last_90_days: int
    job_families: int


def _active_in_scope(viewer: Viewer) -> Select[tuple[int]]:
    """Ids of the active people the viewer may see; build one per statement (it holds a CTE)."""
    return select(Person.id).where(Person.active.is_(True), Person.id.in_(visible_people(viewer)))


def organisation_headcount(session: Session, viewer: Viewer) -> pd.DataFrame:
    """Active people per job family and pathway level, counting only people in scope.

    Every level of every job family is listed, with 0 where no one holds it. People without a
    job family come under "No job family", and people whose title level is not a level of their
    family under "No pathway level"; those rows appear only when someone is in them.
    Columns: job_family, rank (missing for the two catch-all rows), level, headcount.
    """
    people = (
        select(Person.id, Person.job_family_id, Person.title_level)
        .where(Person.active.is_(True), Person.id.in_(visible_people(viewer)))
        .subquery("people_in_scope")
    )
    on_a_level = read_frame(
        session,
        select(
            JobFamily.name.label("job_family"),
            PathwayLevel.rank,
            PathwayLevel.title.label("level"),
            func.count(people.c.id).label("headcount"),
        )
        .join(PathwayLevel, PathwayLevel.job_family_id == JobFamily.id)
        .outerjoin(
            people,
            and_(
                people.c.job_family_id == JobFamily.id,
                people.c.title_level == PathwayLevel.rank,
            ),
        )
        .group_by(JobFamily.id, JobFamily.name, PathwayLevel.rank, PathwayLevel.title)
        .order_by(JobFamily.name, PathwayLevel.rank),
    )
    off_the_pathway = read_frame(
        session,
        select(JobFamily.name.label("job_family"), func.count(people.c.id).label("headcount"))
        .join(people, people.c.job_family_id == JobFamily.id)
        .where(
            ~exists().where(
                PathwayLevel.job_family_id == JobFamily.id,
                PathwayLevel.rank == people.c.title_level,
            )
        )
        .group_by(JobFamily.id, JobFamily.name)
        .order_by(JobFamily.name),
    )
    without_family = session.scalar(
        select(func.count(people.c.id)).where(people.c.job_family_id.is_(None))
    )
    off_the_pathway["level"] = NO_PATHWAY_LEVEL
    catch_all = [off_the_pathway]
    if without_family:
        catch_all.append(
            pd.DataFrame(
                {
                    "job_family": [NO_JOB_FAMILY],
                    "level": [NO_PATHWAY_LEVEL],
                    "headcount": [without_family],
                }
            )
        )
    frame = pd.concat([on_a_level, *catch_all], ignore_index=True).astype(
        {"rank": "Int64", "headcount": int}
    )
    catch_all_last = frame["job_family"].eq(NO_JOB_FAMILY).rename("catch_all_last")
    order = pd.concat([catch_all_last, frame[["job_family", "rank"]]], axis=1)
    ordered = order.sort_values(list(order.columns), na_position="last", kind="stable").index
    return frame.loc[ordered, ["job_family", "rank", "level", "headcount"]].reset_index(drop=True)


def organisation_totals(
    session: Session, viewer: Viewer, now: datetime | None = None
) -> OrganisationTotals:
    """Headline numbers over the active people in scope and their learning records.

    Job families are counted whole: they are the organisation's structure, not anyone's data.
    """
    now = now or datetime.now(UTC)
    report = aliased(Person)

    people = session.scalar(select(func.count()).select_from(_active_in_scope(viewer).subquery()))
    managers = session.scalar(
        select(func.count()).select_from(
            _active_in_scope(viewer)
            .where(exists().where(report.manager_id == Person.id, report.active.is_(True)))
            .subquery()
        )
    )
    records = select(func.count(LearningRecord.id)).where(
        COUNTS_AS_EVIDENCE, LearningRecord.person_id.in_(_active_in_scope(viewer))
    )
    return OrganisationTotals(
        people=people or 0,
        managers=managers or 0,
        learning_records=session.scalar(records) or 0,
        records_last_90_days=session.scalar(records.where(occurred_since(now, RECENT_DAYS))) or 0,
        job_families=session.scalar(select(func.count(JobFamily.id))) or 0,
    )
