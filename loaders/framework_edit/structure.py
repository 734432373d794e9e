"""Adding and removing competencies and pathway levels.

Adding goes through the importer's write path, as every edit does. Removing goes further than
an import ever does (an import keeps what a file no longer names), so it is refused whenever
something would be lost with it: a competency that learning records, goals or catalogue
activities point at, or a level that is someone's title level or the aim of an active goal.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, union
from sqlalchemy.orm import Session

from data_model.access import Viewer
from data_model.audit import record_audit
from data_model.database import serialise_writers
from data_model.models import (
    ActivityCompetency,
    Competency,
    CompetencyCategory,
    Framework,
    GoalStatus,
    JobFamily,
    LearningGoal,
    LearningRecord,
    LevelRequirement,
    PathwayLevel,
    Person,
)
from loaders.framework_edit.common import (
    CODE_LIMIT,
    NAME_LIMIT,
    EditRefused,
    checked_text,
    competency_of,
    ensure_can_edit,
    framework_of,
    level_of,
    records_of,
)
from loaders.framework_edit.descriptors import competency_fields
from loaders.framework_edit.document import (
    apply_edit,
    competency_document,
    family_entry,
    level_entry,
    stored_document,
    write_document,
)
from loaders.framework_edit.requirements import check_required_on_scale
from loaders.framework_yaml import FrameworkChanges

NAMES_SHOWN = 5
"""A refusal names this many people or activities, then says how many more."""


def add_competency(
    session: Session,
    viewer: Viewer,
    framework_id: int,
    *,
    code: str,
    name: str,
    category: CompetencyCategory | str,
    description: str = "",
    descriptors: Mapping[int, str] | None = None,
) -> FrameworkChanges:
    """Add a competency with its level descriptors, in the caller's transaction.

    Its code must be new to every framework, whatever its case: record and catalogue files
    name a competency by its code alone, so a second DA-SQL (or da-sql) would be ambiguous.
    """
    ensure_can_edit(viewer)
    framework = framework_of(session, framework_id)
    code = checked_text(code, "The code", CODE_LIMIT, required=True)
    wanted = competency_fields(framework, name, category, description, descriptors or {})
    taken = session.execute(
        select(Competency.code, Competency.name, Framework.id, Framework.name)
        .join(Framework, Framework.id == Competency.framework_id)
        .where(func.lower(Competency.code) == code.lower())
        .limit(1)
    ).first()
    if taken:
        stored, owner, owner_id, owner_name = taken
        where = "" if owner_id == framework.id else f" in the framework {owner_name}"
        raise EditRefused(
            f"The code {code} is already used by {stored} ({owner}){where}. Codes must be "
            "unique, whatever their case: choose another."
        )
    entry = {"code": code, **wanted, "mastery": {}}
    document = stored_document(session, framework)
    document["competencies"].append(entry)
    changes = write_document(session, document)
    competency_id = session.scalar(
        select(Competency.id).where(
            Competency.framework_id == framework.id, Competency.code == code
        )
    )
    record_audit(
        session, viewer, "framework.competency.add", "competency", competency_id,
        after=entry, summary=changes.summary(),
    )  # fmt: skip
    return changes


@dataclass(frozen=True)
class CompetencyRemoved:
    """What removing a competency took with it, reported as an edit's changes are."""

    framework: str
    competency: str
    requirements: tuple[str, ...]
    """The levels that asked for it, as "DATA level 2"."""

    @property
    def changed(self) -> bool:
        return True

    def summary(self) -> str:
        removed = f"Framework {self.framework} updated. Competency {self.competency} removed"
        if not self.requirements:
            return f"{removed}; no level asked for it."
        count = len(self.requirements)
        return (
            f"{removed}, with its {count} requirement{'s' * (count > 1)} "
            f"({_named(list(self.requirements))})."
        )


def remove_competency(session: Session, viewer: Viewer, competency_id: int) -> CompetencyRemoved:
    """Remove a competency with its descriptors and the requirements that ask for it, in the
    caller's transaction; refused, with nothing changed, while learning records, goals or
    catalogue activities point at it (deleting it would delete or silently change them).

    The writers' lock is taken first, so no import can give the competency a record between
    the check and the delete (the database would delete that record with it). With no records
    there is no mastery of it to recompute.
    """
    ensure_can_edit(viewer)
    serialise_writers(session)
    competency = competency_of(session, competency_id)
    _refuse_if_referenced(session, competency)
    asked = session.execute(
        select(
            JobFamily.code,
            PathwayLevel.rank,
            LevelRequirement.required_level,
            LevelRequirement.weight,
            LevelRequirement.critical,
        )
        .join(PathwayLevel, PathwayLevel.id == LevelRequirement.level_id)
        .join(JobFamily, JobFamily.id == PathwayLevel.job_family_id)
        .where(LevelRequirement.competency_id == competency_id)
        .order_by(JobFamily.code, PathwayLevel.rank)
    ).all()
    requirements = {
        f"{family} level {rank}": {"level": required, "weight": weight, "critical": critical}
        for family, rank, required, weight, critical in asked
    }
    before = {**competency_document(competency), "requirements": requirements}
    removed = CompetencyRemoved(
        framework=competency.framework.code,
        competency=competency.code,
        requirements=tuple(requirements),
    )
    session.execute(delete(LevelRequirement).where(LevelRequirement.competency_id == competency_id))
    session.delete(competency)
    session.flush()
    record_audit(
        session, viewer, "framework.competency.remove", "competency", competency_id,
        before=before, summary=removed.summary(),
    )  # fmt: skip
    return removed


def _refuse_if_referenced(session: Session, competency: Competency) -> None:
    """EditRefused naming everything that would be lost with the competency, if anything.

    Records count as the mastery engine reads them: a record that names the competency, or one
    that names none and comes from an activity tagged with it.
    """
    evidence = union(*records_of(competency.id, LearningRecord.id)).subquery()
    records = session.scalar(select(func.count()).select_from(evidence))
    goals = session.scalar(
        select(func.count())
        .select_from(LearningGoal)
        .where(LearningGoal.competency_id == competency.id)
    )
    activities = session.scalar(
        select(func.count())
        .select_from(ActivityCompetency)
        .where(ActivityCompetency.competency_id == competency.id)
    )
    holds = []
    if records:
        holds.append(f"{_counted(records, 'learning record')} {_verb(records, 'hold')} it")
    if goals:
        holds.append(f"{_counted(goals, 'learning goal')} {_verb(goals, 'aim')} at it")
    if activities:
        holds.append(
            f"{_counted(activities, 'catalogue activity', 'catalogue activities')} "
            f"{_verb(activities, 'give')} evidence of it (load the catalogue again without "
            "it first)"
        )
    if holds:
        raise EditRefused(
            f"{competency.code} cannot be removed: {_named(holds, limit=len(holds))}. "
            "Nothing was changed."
        )


def _counted(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else many or one + 's'}"


def _verb(count: int, verb: str) -> str:
    """The verb agreeing with the count: "holds" for one, "hold" for more."""
    return f"{verb}s" if count == 1 else verb


def _named(items: list[str], limit: int = NAMES_SHOWN) -> str:
    """Items as a sentence lists them: "a and b", "a, b and c", or past `limit` items the
    first few and "and 3 more"."""
    if len(items) > limit:
        return f"{', '.join(items[:limit])} and {len(items) - limit:,} more"
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} and {items[-1]}"


def add_level(
    session: Session,
    viewer: Viewer,
    job_family_id: int,
    *,
    title: str,
    description: str = "",
    requirements: Mapping[int, float],
) -> FrameworkChanges:
    """Add a level above a job family's top level (level 1 for a family without any) that asks
    for `requirements`, the required level by competency_id, in the caller's transaction.

    Where the level below asks for the same competency, the new requirement keeps its weight
    and critical flag, as a pathway usually asks more of the same things further up; any other
    weighs 1 and is not critical. `update_requirement` changes them afterwards.
    """
    ensure_can_edit(viewer)
    family = session.get(JobFamily, job_family_id)
    if family is None:
        raise EditRefused("That job family no longer exists; reload the page.")
    framework = family.framework
    wanted_title = checked_text(title, "The title", NAME_LIMIT, required=True)
    codes = dict(
        session.execute(
            select(Competency.id, Competency.code).where(Competency.framework_id == framework.id)
        ).all()
    )
    if any(competency_id not in codes for competency_id in requirements):
        raise EditRefused("A competency this level asks for no longer exists; reload the page.")
    for required in requirements.values():
        check_required_on_scale(framework, required)
    document = stored_document(session, framework)
    entry = family_entry(document, family.code)
    below = max(entry["levels"], key=lambda level: level["rank"], default=None)
    carried = below["requirements"] if below else {}
    asked = sorted((codes[competency_id], float(required))
                   for competency_id, required in requirements.items())  # fmt: skip
    level = {
        "rank": below["rank"] + 1 if below else 1,
        "title": wanted_title,
        "description": checked_text(description, "The description"),
        "requirements": {
            code: {
                "level": required,
                "weight": carried.get(code, {}).get("weight", 1.0),
                "critical": carried.get(code, {}).get("critical", False),
            }
            for code, required in asked
        },
    }
    entry["levels"].append(level)
    changes = write_document(session, document)
    level_id = session.scalar(
        select(PathwayLevel.id).where(
            PathwayLevel.job_family_id == family.id, PathwayLevel.rank == level["rank"]
        )
    )
    record_audit(
        session, viewer, "framework.level.add", "pathway_level", level_id,
        after=level, summary=changes.summary(),
    )  # fmt: skip
    return changes


def remove_level(session: Session, viewer: Viewer, level_id: int) -> FrameworkChanges:
    """Remove a job family's top level with its requirements, in the caller's transaction.

    Only the top level can go (a gap lower down would leave "the next level" skipping one),
    and only while nobody holds it as their title level or aims for it in an active goal;
    otherwise EditRefused names them and nothing changes.
    """
    ensure_can_edit(viewer)
    level = level_of(session, level_id)
    family = level.job_family
    top = max(item.rank for item in family.levels)
    if level.rank != top:
        raise EditRefused(
            f"Only the top level of {family.code}, level {top}, can be removed; removing level "
            f"{level.rank} would leave a gap in the pathway."
        )
    holders = _people_named(
        session, (Person.job_family_id == family.id) & (Person.title_level == level.rank)
    )
    aiming = _people_named(
        session,
        Person.id.in_(
            select(LearningGoal.person_id).where(
                LearningGoal.job_family_id == family.id,
                LearningGoal.target_rank == level.rank,
                LearningGoal.status == GoalStatus.ACTIVE,
            )
        ),
    )
    reasons = []
    if holders:
        reasons.append(f"it is the title level of {_named(holders)}")
    if aiming:
        reasons.append(f"{_named(aiming)} {_verb(len(aiming), 'aim')} for it in an active goal")
    if reasons:
        raise EditRefused(
            f"Level {level.rank} ({level.title}) of {family.code} cannot be removed: "
            f"{' and '.join(reasons)}. Nothing was changed."
        )
    document = stored_document(session, family.framework)
    entry = family_entry(document, family.code)
    before = level_entry(document, level)
    entry["levels"].remove(before)
    audit = ("framework.level.remove", "pathway_level", level_id)
    return apply_edit(session, viewer, document, audit, before, None)


def _people_named(session: Session, condition: Any) -> list[str]:
    """Everyone meeting `condition` as "Name (external id)", by name."""
    rows = session.execute(
        select(Person.name, Person.external_id).where(condition).order_by(Person.name, Person.id)
    ).all()
    return [f"{name} ({external_id})" for name, external_id in rows]
