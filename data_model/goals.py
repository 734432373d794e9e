"""Learning goals: the learner sets them, they and their managers follow the progress.

A goal is a competency to a level ("SQL to 3 by June") or a role, a level of a job family (the
person's own or another: "Senior data analyst by next year"). Progress follows the pathway rules
of `data_model.pathways`, so a goal reads the same way as a level requirement does:

- a competency goal is one requirement "competency >= target": progress is its credit
  (min(1, mastery / target)), and it is met when the level is reached with enough support;
- a role goal is that level's requirements: progress is readiness for it, met when ready.

Only the learner sets, removes or closes their goals; anyone who may see the learner (their
managers up the chain, L&D) may read them, through the same SQL scoping as every other read.
"""

from datetime import UTC, date, datetime
from typing import Annotated

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError, model_validator
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from data_model import pathways as rules_of
from data_model.access import NotPermitted, Viewer, ensure_can_view, visible_people
from data_model.audit import record_audit
from data_model.evidence_source import competency_rules
from data_model.mastery import CompetencyRules
from data_model.models import (
    Competency,
    Framework,
    GoalStatus,
    JobFamily,
    LearningGoal,
    PathwayLevel,
    Person,
)
from data_model.queries.evidence import read_frame
from data_model.queries.mastery import _materialised
from data_model.queries.progress import _pathways

GOAL_COLUMNS = [
    "goal_id", "person_id", "kind", "target", "competency", "job_family", "target_level",
    "target_rank", "target_date", "status", "created_at", "achieved_at", "current", "progress",
    "met", "overdue", "note",
]  # fmt: skip
"""What `goals_with_progress` returns, one row per active or achieved goal."""


class InvalidGoal(ValueError):
    """The goal cannot be set as given; the message says what to change."""


class GoalInput(BaseModel):
    """A goal as the form gives it: a competency and level, or a job family and rank."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    competency_id: int | None = None
    target_level: float | None = None
    job_family_id: int | None = None
    target_rank: int | None = None
    target_date: date | None = None
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] = ""

    @model_validator(mode="after")
    def _one_target(self) -> "GoalInput":
        competency = self.competency_id is not None or self.target_level is not None
        role = self.job_family_id is not None or self.target_rank is not None
        if competency == role:
            raise ValueError("Aim for a competency and a level, or for a role, not both.")
        if competency and (self.competency_id is None or self.target_level is None):
            raise ValueError("Choose the competency and the level to reach.")
        if role and (self.job_family_id is None or self.target_rank is None):
            raise ValueError("Choose the job family and the level to reach.")
        if self.target_date is not None and self.target_date < datetime.now(UTC).date():
            raise ValueError("Choose a date from today on.")
        return self


def _own(viewer: Viewer, person_id: int) -> None:
    if viewer.person_id is None or viewer.person_id != person_id:
        raise NotPermitted("person", person_id)


def set_goal(session: Session, viewer: Viewer, person_id: int, goal: GoalInput | dict) -> int:
    """Add a goal for the viewer themselves; returns its id. Audited."""
    _own(viewer, person_id)
    try:
        goal = goal if isinstance(goal, GoalInput) else GoalInput(**goal)
    except ValidationError as error:
        message = str(error.errors()[0]["msg"]).removeprefix("Value error, ")
        raise InvalidGoal(message) from error
    if goal.competency_id is not None:
        scale = session.execute(
            select(Framework.scale_min, Framework.scale_max)
            .join(Competency, Competency.framework_id == Framework.id)
            .where(Competency.id == goal.competency_id)
        ).first()
        if scale is None:
            raise InvalidGoal("That competency is not in any loaded framework.")
        assert goal.target_level is not None
        if not scale[0] < goal.target_level <= scale[1]:
            raise InvalidGoal(f"Choose a level above {scale[0]}, up to {scale[1]}.")
    else:
        title = session.scalar(
            select(PathwayLevel.title).where(
                PathwayLevel.job_family_id == goal.job_family_id,
                PathwayLevel.rank == goal.target_rank,
            )
        )
        if title is None:
            raise InvalidGoal("That job family has no such level.")
    row = LearningGoal(
        person_id=person_id,
        competency_id=goal.competency_id,
        target_level=goal.target_level,
        job_family_id=goal.job_family_id,
        target_rank=goal.target_rank,
        target_date=goal.target_date,
        note=goal.note,
        status=GoalStatus.ACTIVE,
        created_by=viewer.email,
    )
    session.add(row)
    session.flush()
    record_audit(
        session, viewer, "goal_set", "learning_goal", row.id, person_id=person_id,
        **goal.model_dump(mode="json", exclude={"note"}),
    )  # fmt: skip
    return row.id


def _own_goal(session: Session, viewer: Viewer, goal_id: int) -> LearningGoal:
    goal = session.get(LearningGoal, goal_id)
    if goal is None or goal.status == GoalStatus.REMOVED:
        raise InvalidGoal("That goal is no longer there.")
    _own(viewer, goal.person_id)
    return goal


def remove_goal(session: Session, viewer: Viewer, goal_id: int) -> None:
    """Take a goal off the list. It stays in the table, marked removed, for the trail."""
    goal = _own_goal(session, viewer, goal_id)
    goal.status = GoalStatus.REMOVED
    goal.removed_at = datetime.now(UTC)
    record_audit(session, viewer, "goal_removed", "learning_goal", goal.id,
                 person_id=goal.person_id)  # fmt: skip


def mark_achieved(session: Session, viewer: Viewer, goal_id: int) -> None:
    """Close a goal as achieved; only once its progress says it is met."""
    goal = _own_goal(session, viewer, goal_id)
    progress = goals_with_progress(session, viewer, goal.person_id)
    row = progress[progress["goal_id"] == goal_id]
    if row.empty or not bool(row["met"].iloc[0]):
        raise InvalidGoal("This goal is not met yet: its progress must reach 100% first.")
    goal.status = GoalStatus.ACHIEVED
    goal.achieved_at = datetime.now(UTC)
    record_audit(session, viewer, "goal_achieved", "learning_goal", goal.id,
                 person_id=goal.person_id)  # fmt: skip


def _goal_rows(session: Session, people: Select) -> pd.DataFrame:
    statement = (
        select(
            LearningGoal.id.label("goal_id"),
            LearningGoal.person_id,
            LearningGoal.competency_id,
            Competency.code.label("competency"),
            Competency.name.label("competency_name"),
            LearningGoal.target_level,
            LearningGoal.job_family_id,
            JobFamily.code.label("job_family"),
            JobFamily.name.label("job_family_name"),
            LearningGoal.target_rank,
            PathwayLevel.title.label("level_title"),
            LearningGoal.target_date,
            LearningGoal.status,
            LearningGoal.created_at,
            LearningGoal.achieved_at,
            LearningGoal.note,
        )
        .outerjoin(Competency, Competency.id == LearningGoal.competency_id)
        .outerjoin(JobFamily, JobFamily.id == LearningGoal.job_family_id)
        .outerjoin(
            PathwayLevel,
            (PathwayLevel.job_family_id == LearningGoal.job_family_id)
            & (PathwayLevel.rank == LearningGoal.target_rank),
        )
        .where(
            LearningGoal.person_id.in_(people),
            LearningGoal.status != GoalStatus.REMOVED,
        )
        .order_by(LearningGoal.person_id, LearningGoal.created_at, LearningGoal.id)
    )
    frame = read_frame(session, statement)
    frame["status"] = frame["status"].astype(str)
    return frame


def _competency_progress(
    goals: pd.DataFrame, mastery: pd.DataFrame, rules: CompetencyRules, now: datetime
) -> pd.DataFrame:
    """Each competency goal as a one-requirement level of its own: credit, met, mastery."""
    requirements = pd.DataFrame(
        {
            "job_family_id": goals["goal_id"].to_numpy(),
            "rank": 0,
            "competency_id": goals["competency_id"].astype(int).to_numpy(),
            "competency": goals["competency"].to_numpy(),
            "name": goals["competency_name"].to_numpy(),
            "required": goals["target_level"].astype(float).to_numpy(),
            "weight": 1.0,
            "critical": False,
        }
    )
    pathways = rules_of.Pathways(
        levels=requirements[["job_family_id", "rank"]], requirements=requirements
    )
    targets = pd.DataFrame(
        {"person_id": goals["person_id"].to_numpy(), "job_family_id": goals["goal_id"].to_numpy(),
         "rank": 0}
    )  # fmt: skip
    assessed = rules_of.assess(targets, pathways, mastery, rules, now)
    return assessed.set_index("job_family_id")[["mastery", "credit", "met"]]


def _role_progress(
    goals: pd.DataFrame,
    mastery: pd.DataFrame,
    rules: CompetencyRules,
    pathways: rules_of.Pathways,
    now: datetime,
) -> pd.DataFrame:
    """Readiness of each role goal's person for that level, one (family, rank) at a time so a
    person with two role goals gets two readings."""
    found = {}
    for (family, rank), group in goals.groupby(["job_family_id", "target_rank"]):
        targets = pd.DataFrame(
            {"person_id": group["person_id"], "job_family_id": int(family), "rank": int(rank)}
        )
        assessed = rules_of.assess(targets, pathways, mastery, rules, now)
        scores = rules_of.readiness(assessed, targets["person_id"])
        for goal_id, person_id in zip(group["goal_id"], group["person_id"], strict=True):
            score = scores.loc[person_id]
            found[goal_id] = (float(score["readiness"]), float(score["readiness"]),
                              bool(score["ready"]))  # fmt: skip
    return pd.DataFrame.from_dict(found, orient="index", columns=["mastery", "credit", "met"])


def people_goals(session: Session, viewer: Viewer, person_ids: Select | list[int]) -> pd.DataFrame:
    """The active and achieved goals of these people that the viewer may see (GOAL_COLUMNS).

    `current` is mastery for a competency goal and readiness for a role goal; `progress` is
    0 to 1; `overdue` is an active goal past its date and not met.
    """
    people = (
        select(Person.id)
        .where(Person.id.in_(person_ids))
        .where(Person.id.in_(visible_people(viewer)))
    )
    goals = _goal_rows(session, people)
    if goals.empty:
        return pd.DataFrame(columns=GOAL_COLUMNS)
    now = datetime.now(UTC)
    rules = competency_rules(session)
    mastery = _materialised(session, goals["person_id"].unique().tolist(), rules, now)
    is_competency = goals["competency_id"].notna()
    parts = []
    if is_competency.any():
        parts.append(_competency_progress(goals[is_competency], mastery, rules, now))
    if (~is_competency).any():
        roles = goals[~is_competency]
        parts.append(_role_progress(roles, mastery, rules, _pathways(session), now))
    progress = pd.concat(parts).reindex(goals["goal_id"])
    today = now.date()
    target_dates = pd.to_datetime(goals["target_date"]).dt.date
    met = progress["met"].fillna(False).astype(bool).to_numpy()
    frame = goals.assign(
        kind=np.where(is_competency, "competency", "role"),
        target=[_target_text(row) for row in goals.to_dict("records")],
        current=progress["mastery"].to_numpy(float),
        progress=progress["credit"].fillna(0.0).to_numpy(float),
        met=met,
        overdue=(goals["status"] == GoalStatus.ACTIVE.value).to_numpy()
        & ~met
        & np.array([d is not None and d == d and d < today for d in target_dates], dtype=bool),
    )
    return frame[GOAL_COLUMNS].reset_index(drop=True)


def _target_text(goal: dict) -> str:
    if goal["competency"] is not None and goal["competency"] == goal["competency"]:
        return f"{goal['competency_name']} to level {goal['target_level']:g}"
    title = goal["level_title"] or f"level {int(goal['target_rank'])}"
    return f"{title} ({goal['job_family_name']})"


def goals_with_progress(session: Session, viewer: Viewer, person_id: int) -> pd.DataFrame:
    """One person's active and achieved goals with their progress (GOAL_COLUMNS); the learner,
    their managers up the chain and L&D may read them."""
    ensure_can_view(session, viewer, person_id)
    return people_goals(session, viewer, [person_id])


def role_options(session: Session) -> pd.DataFrame:
    """Every level of every job family a role goal may aim for: job_family_id, job_family,
    job_family_name, rank, title."""
    return read_frame(
        session,
        select(
            JobFamily.id.label("job_family_id"), JobFamily.code.label("job_family"),
            JobFamily.name.label("job_family_name"), PathwayLevel.rank, PathwayLevel.title,
        ).join(PathwayLevel, PathwayLevel.job_family_id == JobFamily.id)
        .order_by(JobFamily.name, PathwayLevel.rank),
    )  # fmt: skip
