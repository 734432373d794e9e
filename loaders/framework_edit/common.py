"""What every framework edit shares: who may edit, the refusal an edit raises, and looking up
and checking what the admin named."""

from collections.abc import Callable

from sqlalchemy import Select, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from data_model.access import NotPermitted, Viewer
from data_model.models import (
    ActivityCompetency,
    Competency,
    Framework,
    LearningRecord,
    PathwayLevel,
)

Progress = Callable[[float, str], None]
NAME_LIMIT = 256
"""Names and titles are stored in 256 characters."""
CODE_LIMIT = 64
"""Codes are stored in 64 characters."""


class EditRefused(ValueError):
    """An edit that cannot be saved as given; the message says what to change."""


def ensure_can_edit(viewer: Viewer) -> None:
    """Only those who see everyone (L&D admins, the operator) may change the framework."""
    if not viewer.sees_everyone:
        raise NotPermitted


def no_progress(_fraction: float, _message: str) -> None:
    return None


def framework_of(session: Session, framework_id: int) -> Framework:
    framework = session.get(Framework, framework_id)
    if framework is None:
        raise EditRefused("That framework no longer exists; reload the page.")
    return framework


def competency_of(session: Session, competency_id: int) -> Competency:
    competency = session.get(Competency, competency_id)
    if competency is None:
        raise EditRefused("That competency no longer exists; reload the page.")
    return competency


def level_of(session: Session, level_id: int) -> PathwayLevel:
    level = session.get(PathwayLevel, level_id)
    if level is None:
        raise EditRefused("That level no longer exists; reload the page.")
    return level


def checked_text(value: str, what: str, limit: int | None = None, required: bool = False) -> str:
    cleaned = value.strip()
    if required and not cleaned:
        raise EditRefused(f"{what} cannot be empty.")
    if limit is not None and len(cleaned) > limit:
        raise EditRefused(f"{what} is {len(cleaned):,} characters long; the most is {limit}.")
    return cleaned


def records_of(
    competency_id: int, column: InstrumentedAttribute[int]
) -> tuple[Select[tuple[int]], Select[tuple[int]]]:
    """`column` of the learning records that count for the competency as the mastery engine
    reads them: those that name it, and those that name none and come from an activity tagged
    with it. Two queries, for the caller to union with whatever else it needs."""
    named = select(column).where(LearningRecord.competency_id == competency_id)
    tagged = (
        select(column)
        .join(ActivityCompetency, ActivityCompetency.activity_id == LearningRecord.activity_id)
        .where(
            ActivityCompetency.competency_id == competency_id,
            LearningRecord.competency_id.is_(None),
        )
    )
    return named, tagged
