"""The organisation as a whole, as far as the viewer may see it."""

from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import Select, and_, exists, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from data_model.access import Viewer, visible_people
from data_model.models import JobFamily, LearningRecord, PathwayLevel, Person
from data_model.queries.evidence import COUNTS_AS_EVIDENCE, occurred_since, read_frame
from data_model.queries.groups import NO_DEPARTMENT, GroupProgress
from data_model.queries.team import BELOW_FIRST_LEVEL, MISSING_LABELS

NO_JOB_FAMILY = "No job family"
NO_PATHWAY_LEVEL = "No pathway level"
RECENT_DAYS = 90


@dataclass(frozen=True)
class OrganisationFilter:
    """Which part of the organisation to look at; None means any. Hashable, so cached reads
    can be keyed by it."""

    job_family: str | None = None
    """A job family code."""
    department: str | None = None
    location: str | None = None
    level: int | None = None
    """A title level (pathway rank) in the person's job family."""

    def as_kwargs(self) -> dict[str, str | int | None]:
        return {
            "job_family": self.job_family,
            "department": self.department,
            "location": self.location,
            "level": self.level,
        }


EVERYONE = OrganisationFilter()


def people_in(viewer: Viewer, where: OrganisationFilter = EVERYONE) -> Select[tuple[int]]:
    """Ids of the active people in scope who match the filter; build one per statement (the
    scope holds a CTE)."""
    statement = _active_in_scope(viewer)
    if where.job_family is not None:
        family = select(JobFamily.id).where(JobFamily.code == where.job_family)
        statement = statement.where(Person.job_family_id.in_(family))
    if where.department is not None:
        statement = statement.where(Person.department == where.department)
    if where.location is not None:
        statement = statement.where(Person.location == where.location)
    if where.level is not None:
        statement = statement.where(Person.title_level == where.level)
    return statement


@dataclass(frozen=True)
class FilterOptions:
    job_families: dict[str, str]
    """Code -> name, by name."""
    departments: tuple[str, ...]
    locations: tuple[str, ...]
    levels: tuple[int, ...]


def filter_options(session: Session, viewer: Viewer) -> FilterOptions:
    """The values each filter can take among the active people in scope."""
    scope = _active_in_scope(viewer).subquery()
    families = session.execute(
        select(JobFamily.code, JobFamily.name)
        .where(JobFamily.id.in_(select(Person.job_family_id).where(Person.id.in_(select(scope)))))
        .order_by(JobFamily.name)
    ).all()

    def distinct(column: InstrumentedAttribute) -> tuple:
        values = session.scalars(
            select(column)
            .where(Person.id.in_(_active_in_scope(viewer)), column.is_not(None))
            .distinct()
            .order_by(column)
        )
        return tuple(values)

    return FilterOptions(
        job_families=dict(families),
        departments=distinct(Person.department),
        locations=distinct(Person.location),
        levels=distinct(Person.title_level),
    )


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


def organisation_headcount(
    session: Session, viewer: Viewer, where: OrganisationFilter = EVERYONE
) -> pd.DataFrame:
    """Active people per job family and pathway level, counting only people in scope.

    Every level of every job family the filter allows is listed, with 0 where no one holds
    it. People without a job family come under "No job family", and people whose title level
    is not a level of their family under "No pathway level"; those rows appear only when
    someone is in them.
    Columns: job_family, rank (missing for the two catch-all rows), level, headcount.
    """
    people = (
        select(Person.id, Person.job_family_id, Person.title_level)
        .where(Person.id.in_(people_in(viewer, where)))
        .subquery("people_in_scope")
    )
    levels = select(PathwayLevel.id)
    if where.job_family is not None:
        levels = levels.join(JobFamily).where(JobFamily.code == where.job_family)
    if where.level is not None:
        levels = levels.where(PathwayLevel.rank == where.level)
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
        .where(PathwayLevel.id.in_(levels))
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
    session: Session,
    viewer: Viewer,
    now: datetime | None = None,
    where: OrganisationFilter = EVERYONE,
) -> OrganisationTotals:
    """Headline numbers over the active people in scope who match the filter, and their
    learning records.

    Job families are counted whole: they are the organisation's structure, not anyone's data.
    """
    now = now or datetime.now(UTC)
    report = aliased(Person)

    people = session.scalar(select(func.count()).select_from(people_in(viewer, where).subquery()))
    managers = session.scalar(
        select(func.count()).select_from(
            people_in(viewer, where)
            .where(exists().where(report.manager_id == Person.id, report.active.is_(True)))
            .subquery()
        )
    )
    records = select(func.count(LearningRecord.id)).where(
        COUNTS_AS_EVIDENCE, LearningRecord.person_id.in_(people_in(viewer, where))
    )
    return OrganisationTotals(
        people=people or 0,
        managers=managers or 0,
        learning_records=session.scalar(records) or 0,
        records_last_90_days=session.scalar(records.where(occurred_since(now, RECENT_DAYS))) or 0,
        job_families=session.scalar(select(func.count(JobFamily.id))) or 0,
    )


LEVEL_COLUMNS = ["job_family", "rank", "level", "headcount", "attained"]


def pathway_levels(session: Session) -> pd.DataFrame:
    """Every level of every job family: code, job_family (name), rank, level (title)."""
    statement = (
        select(
            JobFamily.code,
            JobFamily.name.label("job_family"),
            PathwayLevel.rank,
            PathwayLevel.title.label("level"),
        )
        .join(PathwayLevel, PathwayLevel.job_family_id == JobFamily.id)
        .order_by(JobFamily.name, PathwayLevel.rank)
    )
    return read_frame(session, statement)


def levels_by_family(
    headcount: pd.DataFrame, people: pd.DataFrame, levels: pd.DataFrame
) -> pd.DataFrame:
    """Per job family and level, people by job title (`headcount`, from
    `organisation_headcount`) beside people by the level their evidence attains (`attained`,
    from the `people` of `groups.group_progress`); LEVEL_COLUMNS. Those whose evidence is
    below their family's first level come under BELOW_FIRST_LEVEL (rank 0)."""
    names = dict(zip(levels["code"], levels["job_family"], strict=True))
    on_pathway = people[people["attained_level"].notna() & people["job_family"].isin(names)]
    attained = (
        on_pathway.assign(
            job_family=on_pathway["job_family"].map(names),
            rank=on_pathway["attained_level"].astype(int),
        )
        .groupby(["job_family", "rank"])
        .size()
        .rename("attained")
        .reset_index()
    )
    table = headcount.astype({"rank": "Int64"}).merge(
        attained.astype({"rank": "Int64"}), on=["job_family", "rank"], how="outer"
    )
    below = table["rank"].eq(0).fillna(False)
    table.loc[below, "level"] = BELOW_FIRST_LEVEL
    table = table.fillna({"headcount": 0, "attained": 0}).astype(
        {"headcount": int, "attained": int}
    )
    order = pd.concat(
        [
            table["job_family"].eq(NO_JOB_FAMILY).rename("no_family_last"),
            table["job_family"],
            table["rank"].isna().rename("off_pathway_last"),
            table["rank"],
        ],
        axis=1,
    )
    ordered = order.sort_values(list(order.columns), na_position="last", kind="stable").index
    return table.loc[ordered, LEVEL_COLUMNS].reset_index(drop=True)


def held_back_by(
    progress: GroupProgress, competency: str, department: str | None = None
) -> pd.DataFrame:
    """The people of a `group_progress` result for whom `competency` (a code) is a gap of
    their next level, optionally only those of one department (NO_DEPARTMENT for none); the
    group's people columns plus `missing`, by name."""
    matrix = progress.gap_matrix
    people = progress.people
    if competency not in matrix.columns:
        return people.iloc[0:0].assign(missing=pd.Series(dtype=object))
    missing = matrix[competency].dropna()
    who = people[people["person"].isin(missing.index)]
    if department is not None:
        who = who[who["department"].fillna(NO_DEPARTMENT) == department]
    labels = who["person"].map(missing).map(lambda kind: MISSING_LABELS.get(kind, kind))
    return who.assign(missing=labels).reset_index(drop=True)
