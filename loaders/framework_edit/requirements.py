"""Editing what a pathway level asks of one competency: its required level, weight and
critical flag, or no requirement at all."""

from sqlalchemy.orm import Session

from data_model.access import Viewer
from data_model.models import Competency, Framework, PathwayLevel
from loaders.framework_edit.common import EditRefused, ensure_can_edit
from loaders.framework_edit.document import apply_edit, level_entry, stored_document
from loaders.framework_yaml import FrameworkChanges


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
        check_required_on_scale(framework, required)
    if not weight > 0:
        raise EditRefused(f"The weight must be above 0; {weight:g} is not.")
    document = stored_document(session, framework)
    entry = level_entry(document, level)
    before = entry["requirements"].get(competency.code)
    after = None
    if required is None:
        entry["requirements"].pop(competency.code, None)
    else:
        after = {"level": float(required), "weight": float(weight), "critical": bool(critical)}
        entry["requirements"][competency.code] = after
    audit = ("framework.requirement.update", "pathway_level", level_id)
    return apply_edit(
        session, viewer, document, audit,
        {"competency": competency.code, "requirement": before},
        {"competency": competency.code, "requirement": after},
    )  # fmt: skip


def check_required_on_scale(framework: Framework, required: float) -> None:
    if not framework.scale_min <= required <= framework.scale_max:
        raise EditRefused(
            f"The required level must lie on the scale, from {framework.scale_min} to "
            f"{framework.scale_max}; {required:g} does not."
        )
