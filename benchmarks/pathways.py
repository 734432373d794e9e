"""Pathway benchmarks: the organisation rollup as an L&D admin sees it, a manager's team of ten
with readiness, history, forecast and next steps, and the Organisation page's analytics
(progression equity, programme effectiveness, self-rating calibration) over everyone."""

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, aliased

from benchmarks.measure import best_of
from data_model.access import Viewer, viewer_for_email
from data_model.models import Person, Role, RoleGrant
from data_model.queries.calibration import calibration_of
from data_model.queries.equity import progression_equity
from data_model.queries.groups import group_progress
from data_model.queries.programmes import programme_effectiveness
from data_model.queries.progress import team_progress

TEAM_SIZE = 10


def _ld_admin(session: Session) -> Viewer:
    """The first L&D admin of the roster; a stand-in with the role when the roster has none."""
    email = session.scalar(
        select(RoleGrant.email).where(RoleGrant.role == Role.LD_ADMIN).order_by(RoleGrant.id)
    )
    found = viewer_for_email(session, email) if email else None
    return found or Viewer(person_id=None, email="ld", name="L&D admin", is_ld_admin=True)


def _manager_of_ten(session: Session) -> tuple[int, int]:
    """A manager with exactly TEAM_SIZE active reports, else the smallest team above it, and
    the size of that team."""
    report = aliased(Person)
    size = func.count(report.id)
    row = session.execute(
        select(report.manager_id, size)
        .where(report.manager_id.is_not(None), report.active.is_(True))
        .group_by(report.manager_id)
        .having(size >= TEAM_SIZE)
        .order_by(size, report.manager_id)
        .limit(1)
    ).one()
    return int(row[0]), int(row[1])


def pathway_reads(engine: Engine, runs: int = 3) -> dict[str, float | int]:
    """Warm reads: `group_progress` over everyone an L&D admin sees, `team_progress` (with
    the twelve-month readiness history) for a team of ten, and as the Organisation page asks
    for them with no filters: equity by department (worked out whole, nothing kept), programme
    effectiveness over a 90-day window and calibration of everyone's self-ratings."""
    with Session(engine) as session:
        admin = _ld_admin(session)
        manager, size = _manager_of_ten(session)
        rollup = best_of(runs, lambda: group_progress(session, admin))
        team = best_of(runs, lambda: team_progress(session, admin, manager))
        equity = best_of(runs, lambda: progression_equity(session, admin, "department"))
        programmes = best_of(runs, lambda: programme_effectiveness(session, admin, 90))
        calibration = best_of(runs, lambda: calibration_of(session, admin))
    return {
        "org_rollup_s": rollup,
        "team10_s": team,
        "team10_people": size,
        "equity_s": equity,
        "programmes_s": programmes,
        "group_calibration_s": calibration,
    }
