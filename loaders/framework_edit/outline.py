"""Reading one framework as the Framework page shows it."""

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from data_model.access import Viewer
from data_model.mastery_settings import MasterySettings
from data_model.models import (
    Competency,
    Framework,
    JobFamily,
    LevelDescriptor,
    LevelRequirement,
    PathwayLevel,
)
from data_model.queries.evidence import read_frame
from loaders.framework_edit.common import ensure_can_edit, framework_of


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
    framework = framework_of(session, framework_id)
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
