"""Editing in place what a competency and a pathway level say: a competency's name, category,
description and level descriptors, and a level's title and description."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from data_model.access import Viewer
from data_model.models import CompetencyCategory, Framework
from loaders.framework_edit.common import (
    NAME_LIMIT,
    EditRefused,
    checked_text,
    competency_of,
    ensure_can_edit,
    level_of,
)
from loaders.framework_edit.document import (
    apply_edit,
    competency_entry,
    level_entry,
    stored_document,
)
from loaders.framework_yaml import FrameworkChanges


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
    competency = competency_of(session, competency_id)
    framework = competency.framework
    wanted = competency_fields(framework, name, category, description, descriptors)
    document = stored_document(session, framework)
    entry = competency_entry(document, competency.code)
    before = {key: entry[key] for key in wanted}
    entry.update(wanted)
    audit = ("framework.competency.update", "competency", competency_id)
    return apply_edit(session, viewer, document, audit, before, wanted)


def competency_fields(
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
        "name": checked_text(name, "The name", NAME_LIMIT, required=True),
        "category": str(category),
        "description": checked_text(description, "The description"),
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
    level = level_of(session, level_id)
    wanted = {
        "title": checked_text(title, "The title", NAME_LIMIT, required=True),
        "description": checked_text(description, "The description"),
    }
    document = stored_document(session, level.job_family.framework)
    entry = level_entry(document, level)
    before = {key: entry[key] for key in wanted}
    entry.update(wanted)
    return apply_edit(
        session, viewer, document, ("framework.level.update", "pathway_level", level_id),
        before, wanted,
    )  # fmt: skip
