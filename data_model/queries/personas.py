"""The three people demo mode offers to view as: a learner, their manager and an L&D admin."""

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased

from data_model.access import Viewer, viewer_for_person
from data_model.models import LearningRecord, Person, Role, RoleGrant
from data_model.queries.evidence import COUNTS_AS_EVIDENCE


def _first_ld_admin(session: Session) -> Person | None:
    granted = exists().where(
        func.lower(RoleGrant.email) == func.lower(Person.email), RoleGrant.role == Role.LD_ADMIN
    )
    return session.scalars(
        select(Person).where(Person.active.is_(True), granted).order_by(Person.id).limit(1)
    ).first()


def _busiest_first_line_manager(session: Session) -> Person | None:
    """The active manager with the most active reports, none of whom manages anyone active."""
    report = aliased(Person)
    their_report = aliased(Person)
    manages_a_manager = exists().where(
        report.manager_id == Person.id,
        report.active.is_(True),
        their_report.manager_id == report.id,
        their_report.active.is_(True),
    )
    team_size = func.count(report.id)
    manager_id = session.scalar(
        select(Person.id)
        .join(report, report.manager_id == Person.id)
        .where(Person.active.is_(True), report.active.is_(True), ~manages_a_manager)
        .group_by(Person.id)
        .order_by(team_size.desc(), Person.id)
        .limit(1)
    )
    return None if manager_id is None else session.get(Person, manager_id)


def _most_active_report(session: Session, manager: Person) -> Person | None:
    records = func.count(LearningRecord.id)
    learner_id = session.scalar(
        select(Person.id)
        .outerjoin(LearningRecord, (LearningRecord.person_id == Person.id) & COUNTS_AS_EVIDENCE)
        .where(Person.manager_id == manager.id, Person.active.is_(True))
        .group_by(Person.id)
        .order_by(records.desc(), Person.id)
        .limit(1)
    )
    return None if learner_id is None else session.get(Person, learner_id)


def demo_personas(session: Session) -> dict[str, Viewer]:
    """Viewers keyed "learner", "manager" and "ld_admin"; a role no one fits is left out.

    The manager is a first-line one so that "My team" shows learners, and the learner is
    the member of that team with the most records, so every page has something to show.
    Ties go to the lowest id, so the same database always offers the same people.
    """
    people: dict[str, Person | None] = {"ld_admin": _first_ld_admin(session)}
    manager = _busiest_first_line_manager(session)
    people["manager"] = manager
    people["learner"] = None if manager is None else _most_active_report(session, manager)
    return {
        role: viewer_for_person(session, person)
        for role, person in people.items()
        if person is not None
    }
