"""Editing a framework from the app: competencies and their level descriptors, pathway levels
and their requirements, and the mastery settings (the framework's and a competency's own), with
a preview of what a settings change would do to people's attained levels (and, for one
competency, to their mastery of it) before it is saved. For L&D admins (and the operator)
only: every function here refuses anyone else with `NotPermitted`.

Structural edits go through the framework importer's own write path: the stored framework is
read back as a `FrameworkSpec`, the one edited item is replaced, and `apply_framework` brings
the database in line. So an edit is validated exactly as an imported file is (text, scale,
requirement levels), rows are updated in place (ids survive), and the change report reads
as an import's does. None of these edits moves mastery (requirements only decide which level a
mastery reaches), so only a settings change, the framework's or one competency's, recomputes it.

Adding a competency or a pathway level goes the same way. Removing goes further than an import
ever does (an import keeps what a file no longer names), so it is refused whenever something
would be lost with it: a competency that learning records, goals or catalogue activities point
at, or a level that is someone's title level or the aim of an active goal.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from pydantic import ValidationError
from sqlalchemy import Engine, delete, func, select, union
from sqlalchemy.orm import Session, selectinload

from data_model import pathways as rules_of
from data_model.access import NotPermitted, Viewer, visible_people
from data_model.audit import record_audit
from data_model.database import serialise_writers
from data_model.evidence_source import raw_evidence_query, read_raw_evidence
from data_model.mastery import PAIR, CompetencyRules, read_evidence, roll_up, weigh
from data_model.mastery_methods import (
    CANVAS_METHODS,
    EVIDENCE_METHOD,
    PARAMETER_DEFAULTS,
    UnknownMethod,
)
from data_model.mastery_settings import MasterySettings
from data_model.models import (
    ActivityCompetency,
    Competency,
    CompetencyCategory,
    Framework,
    GoalStatus,
    JobFamily,
    LearningGoal,
    LearningRecord,
    LevelDescriptor,
    LevelRequirement,
    MasteryScore,
    PathwayLevel,
    Person,
    SourceKind,
)
from data_model.queries.evidence import read_frame
from data_model.queries.progress import _pathways
from data_model.rollup import (
    PEOPLE_PER_CHUNK,
    PEOPLE_PER_REFRESH,
    RollupSummary,
    recompute_all,
    refresh_pairs,
)
from loaders.errors import FileRefused
from loaders.framework_yaml import (
    FrameworkChanges,
    FrameworkSpec,
    apply_framework,
    describe_validation_error,
)

Progress = Callable[[float, str], None]
METHODS = (EVIDENCE_METHOD, *CANVAS_METHODS)
NAME_LIMIT = 256
"""Names and titles are stored in 256 characters."""
CODE_LIMIT = 64
"""Codes are stored in 64 characters."""
NAMES_SHOWN = 5
"""A refusal names this many people or activities, then says how many more."""
MASTERY_STEP = 0.01
"""Mastery is shown to two decimals: a smaller move is no change."""


class EditRefused(ValueError):
    """An edit that cannot be saved as given; the message says what to change."""


def ensure_can_edit(viewer: Viewer) -> None:
    """Only those who see everyone (L&D admins, the operator) may change the framework."""
    if not viewer.sees_everyone:
        raise NotPermitted


def _no_progress(_fraction: float, _message: str) -> None:
    return None


# Reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FrameworkOutline:
    """One framework as the Framework page shows it, as plain DataFrames."""

    framework_id: int
    code: str
    name: str
    scale_min: int
    scale_max: int
    proficient: int
    labels: dict[int, str]
    settings: MasterySettings
    """The framework's own settings, defaults filled in."""
    overridden: tuple[str, ...]
    """Codes of competencies whose own settings override some of the framework's."""
    overrides: dict[int, dict[str, Any]]
    """Each competency's own settings by competency_id, as stored ({} for none)."""
    competencies: pd.DataFrame
    """competency_id, code, name, category, description, descriptors (count)."""
    descriptors: pd.DataFrame
    """competency_id, level, description."""
    families: pd.DataFrame
    """job_family_id, job_family (code), family_name: every job family, levels or not."""
    levels: pd.DataFrame
    """level_id, job_family_id, job_family (code), family_name, rank, title, description,
    requirements (count)."""
    requirements: pd.DataFrame
    """requirement_id, level_id, competency_id, competency (code), name, required, weight,
    critical."""


def frameworks(session: Session, viewer: Viewer) -> pd.DataFrame:
    """framework_id, code, name: every framework, by code."""
    ensure_can_edit(viewer)
    statement = select(Framework.id.label("framework_id"), Framework.code, Framework.name).order_by(
        Framework.code
    )
    return read_frame(session, statement)


def framework_outline(session: Session, viewer: Viewer, framework_id: int) -> FrameworkOutline:
    ensure_can_edit(viewer)
    framework = _framework(session, framework_id)
    competencies = read_frame(
        session,
        select(
            Competency.id.label("competency_id"),
            Competency.code,
            Competency.name,
            Competency.category,
            Competency.description,
        )
        .where(Competency.framework_id == framework_id)
        .order_by(Competency.code),
    )
    descriptors = read_frame(
        session,
        select(LevelDescriptor.competency_id, LevelDescriptor.level, LevelDescriptor.description)
        .join(Competency, Competency.id == LevelDescriptor.competency_id)
        .where(Competency.framework_id == framework_id)
        .order_by(LevelDescriptor.competency_id, LevelDescriptor.level),
    )
    per_competency = descriptors.groupby("competency_id").size()
    competencies["descriptors"] = (
        competencies["competency_id"].map(per_competency).fillna(0).astype(int)
    )
    requirements = read_frame(
        session,
        select(
            LevelRequirement.id.label("requirement_id"),
            LevelRequirement.level_id,
            LevelRequirement.competency_id,
            Competency.code.label("competency"),
            Competency.name,
            LevelRequirement.required_level.label("required"),
            LevelRequirement.weight,
            LevelRequirement.critical,
        )
        .join(Competency, Competency.id == LevelRequirement.competency_id)
        .where(Competency.framework_id == framework_id)
        .order_by(LevelRequirement.level_id, Competency.code),
    ).astype({"critical": bool})
    levels = read_frame(
        session,
        select(
            PathwayLevel.id.label("level_id"),
            JobFamily.id.label("job_family_id"),
            JobFamily.code.label("job_family"),
            JobFamily.name.label("family_name"),
            PathwayLevel.rank,
            PathwayLevel.title,
            PathwayLevel.description,
        )
        .join(JobFamily, JobFamily.id == PathwayLevel.job_family_id)
        .where(JobFamily.framework_id == framework_id)
        .order_by(JobFamily.code, PathwayLevel.rank),
    )
    per_level = requirements.groupby("level_id").size()
    levels["requirements"] = levels["level_id"].map(per_level).fillna(0).astype(int)
    families = read_frame(
        session,
        select(
            JobFamily.id.label("job_family_id"),
            JobFamily.code.label("job_family"),
            JobFamily.name.label("family_name"),
        )
        .where(JobFamily.framework_id == framework_id)
        .order_by(JobFamily.code),
    )
    overrides = session.execute(
        select(Competency.id, Competency.code, Competency.mastery_settings).where(
            Competency.framework_id == framework_id
        )
    ).all()
    return FrameworkOutline(
        framework_id=framework.id,
        code=framework.code,
        name=framework.name,
        scale_min=framework.scale_min,
        scale_max=framework.scale_max,
        proficient=framework.proficient_level,
        labels={int(level): label for level, label in (framework.scale_labels or {}).items()},
        settings=MasterySettings.merged(framework.mastery_settings),
        overridden=tuple(sorted(code for _, code, settings in overrides if settings)),
        overrides={competency_id: dict(settings or {}) for competency_id, _, settings in overrides},
        competencies=competencies,
        descriptors=descriptors,
        families=families,
        levels=levels,
        requirements=requirements,
    )


def _framework(session: Session, framework_id: int) -> Framework:
    framework = session.get(Framework, framework_id)
    if framework is None:
        raise EditRefused("That framework no longer exists; reload the page.")
    return framework


# Structural edits -------------------------------------------------------------------------


def _stored_document(session: Session, framework: Framework) -> dict[str, Any]:
    """The stored framework as the document a native YAML file would hold."""
    competencies = session.scalars(
        select(Competency)
        .where(Competency.framework_id == framework.id)
        .order_by(Competency.id)
        .options(selectinload(Competency.descriptors))
    ).all()
    families = session.scalars(
        select(JobFamily)
        .where(JobFamily.framework_id == framework.id)
        .order_by(JobFamily.id)
        .options(
            selectinload(JobFamily.levels)
            .selectinload(PathwayLevel.requirements)
            .selectinload(LevelRequirement.competency)
        )
    ).all()
    return {
        "code": framework.code,
        "name": framework.name,
        "description": framework.description,
        "scale": {
            "min": framework.scale_min,
            "max": framework.scale_max,
            "proficient": framework.proficient_level,
            "labels": {int(level): label for level, label in framework.scale_labels.items()},
        },
        "mastery": dict(framework.mastery_settings or {}),
        "competencies": [
            {
                "code": competency.code,
                "name": competency.name,
                "category": str(competency.category),
                "description": competency.description,
                "levels": {item.level: item.description for item in competency.descriptors},
                "mastery": dict(competency.mastery_settings or {}),
            }
            for competency in competencies
        ],
        "job_families": [
            {
                "code": family.code,
                "name": family.name,
                "description": family.description,
                "levels": [
                    {
                        "rank": level.rank,
                        "title": level.title,
                        "description": level.description,
                        "requirements": {
                            requirement.competency.code: {
                                "level": requirement.required_level,
                                "weight": requirement.weight,
                                "critical": requirement.critical,
                            }
                            for requirement in level.requirements
                        },
                    }
                    for level in family.levels
                ],
            }
            for family in families
        ],
    }


def _apply(
    session: Session,
    viewer: Viewer,
    document: dict[str, Any],
    audit: tuple[str, str, int],
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    **details: Any,
) -> FrameworkChanges:
    """Validate and write the edited document; audit it, with any further `details`, when
    something changed."""
    changes = _write(session, document)
    if changes.changed:
        action, target_type, target_id = audit
        record_audit(
            session, viewer, action, target_type, target_id,
            before=before, after=after, summary=changes.summary(), **details,
        )  # fmt: skip
    return changes


def _write(session: Session, document: dict[str, Any]) -> FrameworkChanges:
    """Validate the edited document as an imported file is, and bring the database in line."""
    try:
        spec = FrameworkSpec.model_validate(document)
        return apply_framework(session, spec)
    except ValidationError as error:
        problem = describe_validation_error(error).removeprefix("document: ")
        raise EditRefused(f"Not saved: {problem}.") from error
    except FileRefused as error:
        raise EditRefused(f"Not saved: {' '.join(str(error).split())}") from error


def _text(value: str, what: str, limit: int | None = None, required: bool = False) -> str:
    cleaned = value.strip()
    if required and not cleaned:
        raise EditRefused(f"{what} cannot be empty.")
    if limit is not None and len(cleaned) > limit:
        raise EditRefused(f"{what} is {len(cleaned):,} characters long; the most is {limit}.")
    return cleaned


def update_competency(
    session: Session,
    viewer: Viewer,
    competency_id: int,
    *,
    name: str,
    category: CompetencyCategory | str,
    description: str,
    descriptors: Mapping[int, str],
) -> FrameworkChanges:
    """Set a competency's name, category, description and level descriptors, in the caller's
    transaction. A blank descriptor removes that level's descriptor."""
    ensure_can_edit(viewer)
    competency = _competency(session, competency_id)
    framework = competency.framework
    wanted = _competency_fields(framework, name, category, description, descriptors)
    document = _stored_document(session, framework)
    [entry] = [item for item in document["competencies"] if item["code"] == competency.code]
    before = {key: entry[key] for key in wanted}
    entry.update(wanted)
    audit = ("framework.competency.update", "competency", competency_id)
    return _apply(session, viewer, document, audit, before, wanted)


def _competency(session: Session, competency_id: int) -> Competency:
    competency = session.get(Competency, competency_id)
    if competency is None:
        raise EditRefused("That competency no longer exists; reload the page.")
    return competency


def _competency_fields(
    framework: Framework,
    name: str,
    category: CompetencyCategory | str,
    description: str,
    descriptors: Mapping[int, str],
) -> dict[str, Any]:
    """A competency's name, category, description and descriptors as the document holds them,
    or EditRefused saying which to change. A blank descriptor is no descriptor."""
    try:
        category = CompetencyCategory(category)
    except ValueError as error:
        known = ", ".join(str(item) for item in CompetencyCategory)
        raise EditRefused(f"The category must be one of {known}.") from error
    wanted = {
        "name": _text(name, "The name", NAME_LIMIT, required=True),
        "category": str(category),
        "description": _text(description, "The description"),
        "levels": {int(level): text.strip() for level, text in descriptors.items() if text.strip()},
    }
    outside = [level for level in wanted["levels"]
               if not framework.scale_min <= level <= framework.scale_max]  # fmt: skip
    if outside:
        raise EditRefused(
            f"Descriptors are for levels on the scale, from {framework.scale_min} to "
            f"{framework.scale_max}; {_listed(outside)} is not."
        )
    return wanted


def _listed(levels: list[int]) -> str:
    return ", ".join(str(level) for level in sorted(levels))


def update_level(
    session: Session, viewer: Viewer, level_id: int, *, title: str, description: str
) -> FrameworkChanges:
    """Set a pathway level's title and description, in the caller's transaction."""
    ensure_can_edit(viewer)
    level = session.get(PathwayLevel, level_id)
    if level is None:
        raise EditRefused("That level no longer exists; reload the page.")
    wanted = {
        "title": _text(title, "The title", NAME_LIMIT, required=True),
        "description": _text(description, "The description"),
    }
    document = _stored_document(session, level.job_family.framework)
    entry = _level_entry(document, level)
    before = {key: entry[key] for key in wanted}
    entry.update(wanted)
    return _apply(
        session, viewer, document, ("framework.level.update", "pathway_level", level_id),
        before, wanted,
    )  # fmt: skip


def _level_entry(document: dict[str, Any], level: PathwayLevel) -> dict[str, Any]:
    [family] = [item for item in document["job_families"] if item["code"] == level.job_family.code]
    [entry] = [item for item in family["levels"] if item["rank"] == level.rank]
    return entry


def update_requirement(
    session: Session,
    viewer: Viewer,
    level_id: int,
    competency_id: int,
    *,
    required: float | None,
    weight: float = 1.0,
    critical: bool = False,
) -> FrameworkChanges:
    """Add, change or (with `required` None) remove what a pathway level asks of one
    competency, in the caller's transaction. Mastery stays as it is: requirements only decide
    which level a mastery reaches, and the pages assess that as they read."""
    ensure_can_edit(viewer)
    level = session.get(PathwayLevel, level_id)
    competency = session.get(Competency, competency_id)
    if level is None or competency is None:
        raise EditRefused("That level or competency no longer exists; reload the page.")
    framework = level.job_family.framework
    if competency.framework_id != framework.id:
        raise EditRefused(f"{competency.code} belongs to another framework than this level.")
    if required is not None:
        _check_required_on_scale(framework, required)
    if not weight > 0:
        raise EditRefused(f"The weight must be above 0; {weight:g} is not.")
    document = _stored_document(session, framework)
    entry = _level_entry(document, level)
    before = entry["requirements"].get(competency.code)
    after = None
    if required is None:
        entry["requirements"].pop(competency.code, None)
    else:
        after = {"level": float(required), "weight": float(weight), "critical": bool(critical)}
        entry["requirements"][competency.code] = after
    audit = ("framework.requirement.update", "pathway_level", level_id)
    return _apply(
        session, viewer, document, audit,
        {"competency": competency.code, "requirement": before},
        {"competency": competency.code, "requirement": after},
    )  # fmt: skip


def _check_required_on_scale(framework: Framework, required: float) -> None:
    if not framework.scale_min <= required <= framework.scale_max:
        raise EditRefused(
            f"The required level must lie on the scale, from {framework.scale_min} to "
            f"{framework.scale_max}; {required:g} does not."
        )


# Adding and removing ----------------------------------------------------------------------


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
    framework = _framework(session, framework_id)
    code = _text(code, "The code", CODE_LIMIT, required=True)
    wanted = _competency_fields(framework, name, category, description, descriptors or {})
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
    document = _stored_document(session, framework)
    document["competencies"].append(entry)
    changes = _write(session, document)
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
    competency = _competency(session, competency_id)
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
    before = {
        "code": competency.code,
        "name": competency.name,
        "category": str(competency.category),
        "description": competency.description,
        "levels": {item.level: item.description for item in competency.descriptors},
        "mastery": dict(competency.mastery_settings or {}),
        "requirements": requirements,
    }
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
    named = select(LearningRecord.id).where(LearningRecord.competency_id == competency.id)
    tagged = (
        select(LearningRecord.id)
        .join(ActivityCompetency, ActivityCompetency.activity_id == LearningRecord.activity_id)
        .where(
            ActivityCompetency.competency_id == competency.id,
            LearningRecord.competency_id.is_(None),
        )
    )
    records = session.scalar(select(func.count()).select_from(union(named, tagged).subquery()))
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
    wanted_title = _text(title, "The title", NAME_LIMIT, required=True)
    codes = dict(
        session.execute(
            select(Competency.id, Competency.code).where(Competency.framework_id == framework.id)
        ).all()
    )
    if any(competency_id not in codes for competency_id in requirements):
        raise EditRefused("A competency this level asks for no longer exists; reload the page.")
    for required in requirements.values():
        _check_required_on_scale(framework, required)
    document = _stored_document(session, framework)
    [entry] = [item for item in document["job_families"] if item["code"] == family.code]
    below = max(entry["levels"], key=lambda level: level["rank"], default=None)
    carried = below["requirements"] if below else {}
    asked = sorted((codes[competency_id], float(required))
                   for competency_id, required in requirements.items())  # fmt: skip
    level = {
        "rank": below["rank"] + 1 if below else 1,
        "title": wanted_title,
        "description": _text(description, "The description"),
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
    changes = _write(session, document)
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
    level = session.get(PathwayLevel, level_id)
    if level is None:
        raise EditRefused("That level no longer exists; reload the page.")
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
    document = _stored_document(session, family.framework)
    [entry] = [item for item in document["job_families"] if item["code"] == family.code]
    before = _level_entry(document, level)
    entry["levels"].remove(before)
    audit = ("framework.level.remove", "pathway_level", level_id)
    return _apply(session, viewer, document, audit, before, None)


def _people_named(session: Session, condition: Any) -> list[str]:
    """Everyone meeting `condition` as "Name (external id)", by name."""
    rows = session.execute(
        select(Person.name, Person.external_id).where(condition).order_by(Person.name, Person.id)
    ).all()
    return [f"{name} ({external_id})" for name, external_id in rows]


# Mastery settings -------------------------------------------------------------------------

SETTING_WORDS = {
    "method": "Method",
    "half_life_days": "Half-life",
    "minimum_support": "Minimum support",
    "trust": "Trust weight",
}


def settings_from_form(
    method: str,
    parameter: float | None,
    half_life_days: float,
    minimum_support: float,
    trust: Mapping[str, float],
) -> MasterySettings:
    """Settings from the page's form, or EditRefused saying which value to change and why.
    `parameter` is the method's (W% or N), ignored for methods that take none."""
    return _checked_settings(
        {
            "method": _method_text(method, parameter),
            "half_life_days": half_life_days,
            "minimum_support": minimum_support,
            "trust": {SourceKind(kind): float(value) for kind, value in trust.items()},
        }
    )


def _method_text(method: str, parameter: float | None) -> str:
    return f"{method}:{parameter:g}" if method in PARAMETER_DEFAULTS and parameter else method


def _checked_settings(values: dict[str, Any]) -> MasterySettings:
    try:
        return MasterySettings.model_validate(values)
    except UnknownMethod as error:
        raise EditRefused(str(error)) from error
    except ValidationError as error:
        problem = error.errors()[0]
        field = str(problem["loc"][0]) if problem["loc"] else "settings"
        words = SETTING_WORDS.get(field, field)
        message = problem["msg"].removeprefix("Value error, ").rstrip(".")
        raise EditRefused(f"{words}: {message}.") from error


def settings_differences(before: MasterySettings, after: MasterySettings) -> list[str]:
    """Each setting that differs, in words, as "half-life 365 → 90 days"."""
    differences = []
    if before.method != after.method:
        differences.append(f"method {before.method} → {after.method}")
    if before.half_life_days != after.half_life_days:
        differences.append(f"half-life {before.half_life_days:g} → {after.half_life_days:g} days")
    if before.minimum_support != after.minimum_support:
        differences.append(
            f"minimum support {before.minimum_support:g} → {after.minimum_support:g}"
        )
    for kind in SourceKind:
        if before.trust[kind] != after.trust[kind]:
            source = kind.value.replace("_", " ")
            differences.append(f"trust in {source} {before.trust[kind]:g} → {after.trust[kind]:g}")
    return differences


SETTING_COLUMNS = ["method", "half_life_days", "minimum_support",
                   *(f"trust_{kind.value}" for kind in SourceKind)]  # fmt: skip
"""The columns of `CompetencyRules` that mastery settings decide."""


def _rules(
    session: Session,
    frameworks: Mapping[int, MasterySettings] | None = None,
    competencies: Mapping[int, Mapping[str, Any]] | None = None,
) -> CompetencyRules:
    """Every competency's rules, as `evidence_source.competency_rules` gives them, except that
    each framework in `frameworks` (by id) has those settings in place of its own, and each
    competency in `competencies` (by id) those overrides in place of its own: the rules a save
    would bring, without writing anything. A framework's new settings keep its competencies'
    own overrides on top, as saving them does."""
    rows = session.execute(
        select(
            Competency.id,
            Competency.framework_id,
            Competency.mastery_settings,
            Framework.scale_min,
            Framework.scale_max,
            Framework.proficient_level,
            Framework.scale_labels,
            Framework.mastery_settings,
        ).join(Framework, Framework.id == Competency.framework_id)
    ).all()
    proposed = {owner: settings.model_dump(mode="json")
                for owner, settings in (frameworks or {}).items()}  # fmt: skip
    own = competencies or {}
    built = []
    for competency_id, owner, overrides, low, high, proficient, labels, stored in rows:
        base = proposed.get(owner, stored)
        wanted = dict(own.get(competency_id, overrides) or {})
        built.append(
            {"competency_id": competency_id, "scale_min": low, "scale_max": high,
             "proficient": proficient, "labels": labels,
             "settings": MasterySettings.merged(base, wanted)}
        )  # fmt: skip
    return CompetencyRules.build(built)


@dataclass(frozen=True)
class LevelPreview:
    """Whose attained level a settings change would move, everything else as it is now."""

    people: int
    """Active people on a pathway (a job family with levels) that the viewer sees."""
    raised: int
    lowered: int
    changes: pd.DataFrame
    """One row per person whose attained level would change: person (external id), name,
    job_family, before, before_title, after, after_title."""

    @property
    def changed(self) -> int:
        return self.raised + self.lowered

    def levels_summary(self) -> str:
        people = "person's" if self.changed == 1 else "people's"
        return (
            f"{self.changed:,} of {self.people:,} {people} attained level would change "
            f"({self.raised:,} up, {self.lowered:,} down)"
        )

    def audit_counts(self) -> dict[str, int]:
        """What the save's audit entry records of the preview the admin saw."""
        return {"people_changing_level": self.changed, "people_assessed": self.people}


@dataclass(frozen=True)
class SettingsPreview(LevelPreview):
    """What saving a framework's `settings` would do, everything else as it is now."""

    framework_id: int
    settings: MasterySettings
    pairs_changed: int
    """Person x competency pairs whose mastery would move (by 0.01 or more, or to or from no
    result)."""

    def summary(self) -> str:
        return (
            f"{self.levels_summary()}; mastery would move for {self.pairs_changed:,} "
            "person-competency pairs."
        )


@dataclass(frozen=True)
class CompetencySettingsPreview(LevelPreview):
    """What saving `overrides` as one competency's own settings would do, everything else as it
    is now."""

    competency_id: int
    code: str
    overrides: dict[str, Any]
    """The competency's own settings previewed, as `overrides_from_form` gives them."""
    mastery_changed: int
    """People (of `people`) whose mastery of the competency would move (by 0.01 or more, or to
    or from no result)."""
    proficiency_changed: int
    """People (of `people`) who would become, or stop being, proficient in it: the engine's
    met_proficient, mastery at the proficient level with the minimum support behind it."""
    competency_changes: pd.DataFrame
    """One row per person whose mastery of it or proficiency would change: person, name,
    job_family, mastery_before, mastery_after (NaN for no result), proficient_before,
    proficient_after."""

    def summary(self) -> str:
        return (
            f"{self.levels_summary()}; the mastery of {self.code} would move for "
            f"{self.mastery_changed:,} of them, and {self.proficiency_changed:,} would become "
            "or stop being proficient in it."
        )

    def audit_counts(self) -> dict[str, int]:
        return {
            **super().audit_counts(),
            "people_changing_mastery": self.mastery_changed,
            "people_changing_proficiency": self.proficiency_changed,
        }


CHANGE_COLUMNS = ["person", "name", "job_family", "before", "before_title", "after",
                  "after_title"]  # fmt: skip
PAIR_CHANGE_COLUMNS = [*PAIR, "mastery_before", "mastery_after", "proficient_before",
                       "proficient_after", "moved"]  # fmt: skip
COMPETENCY_CHANGE_COLUMNS = ["person", "name", "job_family", "mastery_before", "mastery_after",
                             "proficient_before", "proficient_after"]  # fmt: skip
ASSESSED_COLUMNS = ["person", "name", "job_family_id", "job_family", "before", "after"]


@dataclass(frozen=True)
class _Comparison:
    """Everyone's attained level and mastery now and under proposed rules."""

    assessed: pd.DataFrame
    """Per person on a pathway the viewer sees (index person_id): person, name, job_family_id,
    job_family, before and after (attained levels)."""
    titles: dict[tuple[int, int], str]
    """Each level's title by (job_family_id, rank)."""
    pairs: pd.DataFrame
    """PAIR_CHANGE_COLUMNS, one row per person x competency whose result would change: moved
    says whether the mastery would (by MASTERY_STEP or more, or to or from no result); the rest
    only change whether the person is proficient in it."""

    def levels(self) -> dict[str, Any]:
        """The `LevelPreview` fields."""
        assessed = self.assessed
        moved = assessed[assessed["before"] != assessed["after"]]
        changes = moved.reset_index().assign(
            before=lambda frame: frame["before"].astype(int),
            after=lambda frame: frame["after"].astype(int),
        )
        for side in ("before", "after"):
            changes[f"{side}_title"] = [
                self.titles.get((int(family), int(rank)), "Below the first level")
                for family, rank in zip(changes["job_family_id"], changes[side], strict=True)
            ]
        return {
            "people": len(assessed),
            "raised": int((moved["after"] > moved["before"]).sum()),
            "lowered": int((moved["after"] < moved["before"]).sum()),
            "changes": changes.sort_values(["job_family", "name"])[CHANGE_COLUMNS].reset_index(
                drop=True
            ),
        }


def _compare(
    session: Session, viewer: Viewer, proposed: CompetencyRules, progress: Progress, now: datetime
) -> _Comparison:
    """Attained levels and mastery under the current rules and under `proposed`, for everyone
    on a pathway the viewer sees, writing nothing.

    Both sides are computed live from the records as of the same moment, so the difference is
    the settings' alone (the materialised table may lag an expiry). People go in chunks by id,
    as in `rollup.recompute_all`; each chunk's evidence is read once, weighed under the current
    rules, and weighed again only for the competencies whose settings the change touches.
    """
    current = _rules(session)
    touched = _touched(current, proposed)
    pathways = _pathways(session)
    ids = session.scalars(
        select(Person.id)
        .where(
            Person.id.in_(visible_people(viewer)),
            Person.active.is_(True),
            Person.job_family_id.in_(select(PathwayLevel.job_family_id)),
        )
        .order_by(Person.id)
    ).all()
    levels, pairs = [], []
    for start in range(0, len(ids), PEOPLE_PER_CHUNK):
        chunk = ids[start : start + PEOPLE_PER_CHUNK]
        people = read_frame(
            session,
            select(
                Person.id.label("person_id"),
                Person.external_id.label("person"),
                Person.name,
                Person.job_family_id,
                JobFamily.code.label("job_family"),
            )
            .join(JobFamily, JobFamily.id == Person.job_family_id)
            .where(Person.id.in_(chunk)),
        )
        raw = read_raw_evidence(session, raw_evidence_query(person_range=(chunk[0], chunk[-1])))
        evidence = read_evidence(raw)
        mastery_before = roll_up(weigh(evidence, current, now), current)
        mastery_after = _remastered(evidence, mastery_before, touched, proposed, now)
        before = _attained(people, pathways, mastery_before, current, now)
        after = _attained(people, pathways, mastery_after, proposed, now)
        pairs.append(_pair_changes(mastery_before, mastery_after))
        levels.append(people.set_index("person_id").assign(before=before, after=after))
        done = min(len(ids), start + PEOPLE_PER_CHUNK)
        progress(done / max(1, len(ids)), f"{done:,} of {len(ids):,} people")
    if not levels:
        progress(1.0, "No one is on a pathway yet")
    titles = {
        (int(family), int(rank)): title
        for family, rank, title in pathways.levels[["job_family_id", "rank", "title"]].itertuples(
            index=False
        )
    }
    changed = [frame for frame in pairs if not frame.empty]
    return _Comparison(
        assessed=pd.concat(levels) if levels else pd.DataFrame(columns=ASSESSED_COLUMNS),
        titles=titles,
        pairs=(
            pd.concat(changed, ignore_index=True)
            if changed
            else pd.DataFrame(columns=PAIR_CHANGE_COLUMNS)
        ),
    )


def _touched(current: CompetencyRules, proposed: CompetencyRules) -> pd.Index:
    """The competencies whose settings differ between the two rules."""
    old = current.frame[SETTING_COLUMNS]
    new = proposed.frame[SETTING_COLUMNS].reindex(old.index)
    return old.index[(old != new).any(axis=1)]


def _remastered(
    evidence: pd.DataFrame,
    mastery: pd.DataFrame,
    touched: pd.Index,
    rules: CompetencyRules,
    now: datetime,
) -> pd.DataFrame:
    """`mastery` with the results of the `touched` competencies weighed again under `rules`;
    every other result depends on its own competency's settings alone, so it stays."""
    if touched.empty:
        return mastery
    kept = mastery[~mastery["competency_id"].isin(touched)]
    again = evidence[evidence["competency_id"].isin(touched)]
    fresh = roll_up(weigh(again, rules, now), rules)
    parts = [frame for frame in (kept, fresh) if not frame.empty]
    return pd.concat(parts, ignore_index=True) if parts else fresh


def _attained(
    people: pd.DataFrame,
    pathways: rules_of.Pathways,
    mastery: pd.DataFrame,
    rules: CompetencyRules,
    now: datetime,
) -> pd.Series:
    """Attained level per person (indexed by person_id) from their mastery."""
    assessed = rules_of.assess(people, pathways, mastery, rules, now)
    held = rules_of.held_levels(people, pathways, assessed)
    return held["attained"].reindex(people["person_id"]).fillna(0)


def _pair_changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """PAIR_CHANGE_COLUMNS for the pairs whose mastery would move or whose proficiency would
    change; a pair without a result is not proficient."""
    columns = [*PAIR, "mastery", "met_proficient"]
    both = before[columns].merge(
        after[columns], on=PAIR, how="outer", suffixes=("_before", "_after")
    )
    old, new = both["mastery_before"].astype(float), both["mastery_after"].astype(float)
    moved = ((old - new).abs() >= MASTERY_STEP - 1e-9) | (old.isna() != new.isna())
    proficient_before = both["met_proficient_before"].eq(True)
    proficient_after = both["met_proficient_after"].eq(True)
    changed = both.assign(
        mastery_before=old,
        mastery_after=new,
        proficient_before=proficient_before,
        proficient_after=proficient_after,
        moved=moved,
    )[moved | (proficient_before != proficient_after)]
    return changed[PAIR_CHANGE_COLUMNS].reset_index(drop=True)


def preview_settings_change(
    session: Session,
    viewer: Viewer,
    framework_id: int,
    settings: MasterySettings,
    progress: Progress = _no_progress,
    as_of: datetime | None = None,
) -> SettingsPreview:
    """Attained levels now and under the framework's `settings`, for everyone the viewer sees,
    writing nothing. The preview costs about one full roll-up (tens of seconds at 10,000 people
    and a million records), so the page runs it on request, with a progress bar."""
    ensure_can_edit(viewer)
    _framework(session, framework_id)
    proposed = _rules(session, frameworks={framework_id: settings})
    comparison = _compare(session, viewer, proposed, progress, as_of or datetime.now(UTC))
    return SettingsPreview(
        framework_id=framework_id,
        settings=settings,
        pairs_changed=int(comparison.pairs["moved"].sum()),
        **comparison.levels(),
    )


def preview_competency_settings(
    session: Session,
    viewer: Viewer,
    competency_id: int,
    overrides: Mapping[str, Any],
    progress: Progress = _no_progress,
    as_of: datetime | None = None,
) -> CompetencySettingsPreview:
    """Attained levels, and the mastery of the competency, now and with `overrides` (as
    `overrides_from_form` gives them; {} follows the framework in everything) as its own
    settings, for everyone on a pathway the viewer sees, writing nothing.

    The save recomputes the competency for everyone with evidence of it; the preview counts
    those on a pathway, whose levels it can move. It reads everyone's evidence, as a framework
    preview does, since a level rests on every competency, but weighs only this competency's
    twice.
    """
    ensure_can_edit(viewer)
    competency = _competency(session, competency_id)
    wanted = dict(overrides)
    proposed = _rules(session, competencies={competency_id: wanted})
    comparison = _compare(session, viewer, proposed, progress, as_of or datetime.now(UTC))
    pairs = comparison.pairs[comparison.pairs["competency_id"] == competency_id]
    people = comparison.assessed[["person", "name", "job_family"]]
    changes = pairs.merge(people, left_on="person_id", right_index=True).sort_values(
        ["job_family", "name"]
    )
    flipped = changes["proficient_before"] != changes["proficient_after"]
    return CompetencySettingsPreview(
        competency_id=competency_id,
        code=competency.code,
        overrides=wanted,
        mastery_changed=int(changes["moved"].sum()),
        proficiency_changed=int(flipped.sum()),
        competency_changes=changes[COMPETENCY_CHANGE_COLUMNS].reset_index(drop=True),
        **comparison.levels(),
    )


@dataclass(frozen=True)
class SettingsSaved:
    changed: bool
    before: dict[str, Any]
    after: dict[str, Any]
    rollup: RollupSummary | None
    """The recompute's figures; None when nothing changed, so nothing was recomputed."""


def save_settings(
    engine: Engine,
    viewer: Viewer,
    framework_id: int,
    settings: MasterySettings,
    progress: Progress = _no_progress,
    preview: SettingsPreview | None = None,
) -> SettingsSaved:
    """Store the framework's new settings with an audit entry (before, after and, when one was
    shown, the preview's counts) in one transaction, then rebuild the mastery table. The save
    waits for any import or recompute in progress, as every writer of mastery does, so the
    "before" it records is what that writer left.

    The rebuild is its own transaction (`recompute_all`): should it fail, the settings are
    saved and the old mastery stays whole; `python -m data_model recompute` finishes the job.
    """
    ensure_can_edit(viewer)
    after = settings.model_dump(mode="json")
    with Session(engine) as session, session.begin():
        serialise_writers(session)
        framework = _framework(session, framework_id)
        before = dict(framework.mastery_settings or {})
        if MasterySettings.merged(before) == settings:
            return SettingsSaved(changed=False, before=before, after=before, rollup=None)
        framework.mastery_settings = after
        expected = (
            preview.audit_counts() if preview is not None and preview.settings == settings else {}
        )
        record_audit(
            session, viewer, "framework.settings.update", "framework", framework_id,
            before=before, after=after, **expected,
        )  # fmt: skip
    rollup = recompute_all(engine, progress=progress)
    return SettingsSaved(changed=True, before=before, after=after, rollup=rollup)


# One competency's own settings ------------------------------------------------------------


def overrides_from_form(
    method: str | None,
    parameter: float | None,
    half_life_days: float | None,
    minimum_support: float | None,
    trust: Mapping[str, float | None],
) -> dict[str, Any]:
    """A competency's own settings from the page's form, as stored: only the values given.
    Each overrides the framework's; a blank one (None) follows the framework's, now and after
    it changes. EditRefused says which value to change and why."""
    overrides: dict[str, Any] = {}
    if method:
        overrides["method"] = _method_text(method, parameter)
    if half_life_days is not None:
        overrides["half_life_days"] = float(half_life_days)
    if minimum_support is not None:
        overrides["minimum_support"] = float(minimum_support)
    given = {SourceKind(kind).value: float(value)
             for kind, value in trust.items() if value is not None}  # fmt: skip
    if given:
        overrides["trust"] = given
    checked = _checked_settings(overrides)
    if method:
        overrides["method"] = checked.method
    return overrides


@dataclass(frozen=True)
class CompetencySettingsSaved:
    changes: FrameworkChanges
    people: int
    """People whose mastery of the competency was recomputed; 0 when nothing changed."""
    pairs: int
    """Results written for it: one per person whose evidence gives one."""


def save_competency_settings(
    engine: Engine,
    viewer: Viewer,
    competency_id: int,
    overrides: Mapping[str, Any],
    progress: Progress = _no_progress,
    preview: CompetencySettingsPreview | None = None,
) -> CompetencySettingsSaved:
    """Store a competency's own settings (as `overrides_from_form` gives them; {} follows the
    framework in everything) with an audit entry (before, after and, when one was shown for
    these settings, the preview's counts), and recompute its mastery for everyone with evidence
    of it or a result for it.

    All in one transaction under the writers' lock, unlike a framework's settings: only one
    competency's pairs are recomputed, a small part of a full recompute, and the mastery table
    never shows results of the old settings beside the new ones. "Now" is read once the lock is
    held, as `recompute_all` does.
    """
    ensure_can_edit(viewer)
    with Session(engine) as session, session.begin():
        serialise_writers(session)
        competency = _competency(session, competency_id)
        document = _stored_document(session, competency.framework)
        [entry] = [item for item in document["competencies"] if item["code"] == competency.code]
        before, after = entry["mastery"], dict(overrides)
        entry["mastery"] = after
        audit = ("framework.competency.settings.update", "competency", competency_id)
        shown = (
            preview is not None
            and preview.competency_id == competency_id
            and preview.overrides == after
        )
        expected = preview.audit_counts() if shown else {}
        changes = _apply(session, viewer, document, audit, before, after, **expected)
        if not changes.changed:
            return CompetencySettingsSaved(changes=changes, people=0, pairs=0)
        people, pairs = _recompute_competency(session, competency_id, progress)
    return CompetencySettingsSaved(changes=changes, people=people, pairs=pairs)


def _recompute_competency(
    session: Session, competency_id: int, progress: Progress
) -> tuple[int, int]:
    """Refresh one competency's mastery, a few hundred people at a time, in the caller's
    transaction: everyone with evidence of it (as `rollup.pairs_of_records` reads records) and
    everyone holding a result for it, which the new settings may take away."""
    named = select(LearningRecord.person_id).where(LearningRecord.competency_id == competency_id)
    tagged = (
        select(LearningRecord.person_id)
        .join(ActivityCompetency, ActivityCompetency.activity_id == LearningRecord.activity_id)
        .where(
            ActivityCompetency.competency_id == competency_id,
            LearningRecord.competency_id.is_(None),
        )
    )
    held = select(MasteryScore.person_id).where(MasteryScore.competency_id == competency_id)
    people = sorted(session.scalars(union(named, tagged, held)).all())
    as_of = datetime.now(UTC)
    pairs = 0
    for start in range(0, len(people), PEOPLE_PER_REFRESH):
        chunk = people[start : start + PEOPLE_PER_REFRESH]
        pairs += refresh_pairs(session, [(person, competency_id) for person in chunk], as_of)
        done = start + len(chunk)
        progress(done / len(people), f"{done:,} of {len(people):,} people")
    if not people:
        progress(1.0, "No one has evidence of it yet")
    return len(people), pairs
