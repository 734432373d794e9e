"""The stored framework as the document a native YAML file would hold, and writing an edited
document back through the framework importer's own write path, so an edit is validated, and
reported, exactly as an imported file is."""

from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from data_model.access import Viewer
from data_model.audit import record_audit
from data_model.models import (
    Competency,
    Framework,
    JobFamily,
    LevelRequirement,
    PathwayLevel,
)
from loaders.errors import FileRefused
from loaders.framework_edit.common import EditRefused
from loaders.framework_yaml import (
    FrameworkChanges,
    FrameworkSpec,
    apply_framework,
    describe_validation_error,
)


def stored_document(session: Session, framework: Framework) -> dict[str, Any]:
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
        "competencies": [competency_document(competency) for competency in competencies],
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


def competency_document(competency: Competency) -> dict[str, Any]:
    """One stored competency as the document holds it (its descriptors loaded)."""
    return {
        "code": competency.code,
        "name": competency.name,
        "category": str(competency.category),
        "description": competency.description,
        "levels": {item.level: item.description for item in competency.descriptors},
        "mastery": dict(competency.mastery_settings or {}),
    }


def competency_entry(document: dict[str, Any], code: str) -> dict[str, Any]:
    [entry] = [item for item in document["competencies"] if item["code"] == code]
    return entry


def family_entry(document: dict[str, Any], code: str) -> dict[str, Any]:
    [entry] = [item for item in document["job_families"] if item["code"] == code]
    return entry


def level_entry(document: dict[str, Any], level: PathwayLevel) -> dict[str, Any]:
    family = family_entry(document, level.job_family.code)
    [entry] = [item for item in family["levels"] if item["rank"] == level.rank]
    return entry


def apply_edit(
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
    changes = write_document(session, document)
    if changes.changed:
        action, target_type, target_id = audit
        record_audit(
            session, viewer, action, target_type, target_id,
            before=before, after=after, summary=changes.summary(), **details,
        )  # fmt: skip
    return changes


def write_document(session: Session, document: dict[str, Any]) -> FrameworkChanges:
    """Validate the edited document as an imported file is, and bring the database in line."""
    try:
        spec = FrameworkSpec.model_validate(document)
        return apply_framework(session, spec)
    except ValidationError as error:
        problem = describe_validation_error(error).removeprefix("document: ")
        raise EditRefused(f"Not saved: {problem}.") from error
    except FileRefused as error:
        raise EditRefused(f"Not saved: {' '.join(str(error).split())}") from error
