"""Pathwise's native framework format: one YAML document holding the scale, the mastery
settings, the competencies with their level descriptors, and the job families with their
pathway levels and requirements. See README "Framework YAML" for an example.
"""

from typing import Annotated, Any, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy.orm import Session

from data_model.models import (
    Competency,
    CompetencyCategory,
    Framework,
    JobFamily,
    LevelDescriptor,
    LevelRequirement,
    PathwayLevel,
)
from loaders.errors import FileRefused


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScaleSpec(_Spec):
    min: int = 0
    max: int = 5
    proficient: int = 3
    labels: dict[int, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.min < self.max:
            raise ValueError("scale min must be below max")
        if not self.min <= self.proficient <= self.max:
            raise ValueError("the proficient level must lie on the scale")
        return self


class CompetencySpec(_Spec):
    code: Annotated[str, Field(min_length=1, max_length=64)]
    name: Annotated[str, Field(min_length=1, max_length=256)]
    category: CompetencyCategory
    description: str = ""
    levels: dict[int, str] = Field(default_factory=dict, description="Descriptor per level.")
    mastery: dict[str, Any] = Field(default_factory=dict)


class RequirementSpec(_Spec):
    level: float
    weight: Annotated[float, Field(gt=0)] = 1.0
    critical: bool = False


class LevelSpec(_Spec):
    rank: int
    title: Annotated[str, Field(min_length=1, max_length=256)]
    description: str = ""
    requirements: dict[str, float | RequirementSpec] = Field(default_factory=dict)

    def requirement_specs(self) -> dict[str, RequirementSpec]:
        return {
            code: spec if isinstance(spec, RequirementSpec) else RequirementSpec(level=spec)
            for code, spec in self.requirements.items()
        }


class JobFamilySpec(_Spec):
    code: Annotated[str, Field(min_length=1, max_length=64)]
    name: Annotated[str, Field(min_length=1, max_length=256)]
    description: str = ""
    levels: list[LevelSpec]


class FrameworkSpec(_Spec):
    code: Annotated[str, Field(min_length=1, max_length=64)]
    name: Annotated[str, Field(min_length=1, max_length=256)]
    description: str = ""
    scale: ScaleSpec = ScaleSpec()
    mastery: dict[str, Any] = Field(default_factory=dict)
    competencies: list[CompetencySpec]
    job_families: list[JobFamilySpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        codes = [competency.code for competency in self.competencies]
        if len(codes) != len(set(codes)):
            raise ValueError("competency codes must be unique")
        for competency in self.competencies:
            outside = [lvl for lvl in competency.levels if not self._on_scale(lvl)]
            if outside:
                raise ValueError(f"{competency.code}: descriptors for {outside} are off the scale")
        for family in self.job_families:
            ranks = [level.rank for level in family.levels]
            if len(ranks) != len(set(ranks)):
                raise ValueError(f"{family.code}: level ranks must be unique")
            for level in family.levels:
                for code, requirement in level.requirement_specs().items():
                    if code not in codes:
                        raise ValueError(f"{family.code} level {level.rank}: unknown {code}")
                    if not self._on_scale(requirement.level):
                        raise ValueError(
                            f"{family.code} level {level.rank}: {code} requires "
                            f"{requirement.level}, off the scale"
                        )
        return self

    def _on_scale(self, level: float) -> bool:
        return self.scale.min <= level <= self.scale.max


def parse_framework_yaml(text: str, source: str = "framework") -> FrameworkSpec:
    """Read and validate a native framework document, refusing it whole if anything is wrong."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise FileRefused(f"{source} is not valid YAML: {error}".replace("\n", " ")) from error
    try:
        return FrameworkSpec.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "document"
        message = f"{source} is not a Pathwise framework: {where}: {first['msg']}."
        raise FileRefused(message) from error


def add_framework(session: Session, spec: FrameworkSpec) -> Framework:
    """Write a new framework with its competencies, job families, levels and requirements."""
    framework = Framework(
        code=spec.code,
        name=spec.name,
        description=spec.description,
        scale_min=spec.scale.min,
        scale_max=spec.scale.max,
        proficient_level=spec.scale.proficient,
        scale_labels={str(level): label for level, label in spec.scale.labels.items()},
        mastery_settings=dict(spec.mastery),
    )
    competencies = {
        item.code: Competency(
            code=item.code,
            name=item.name,
            category=item.category,
            description=item.description,
            mastery_settings=dict(item.mastery),
            descriptors=[
                LevelDescriptor(level=level, description=words)
                for level, words in item.levels.items()
            ],
        )
        for item in spec.competencies
    }
    framework.competencies = list(competencies.values())
    framework.job_families = [
        JobFamily(
            code=family.code,
            name=family.name,
            description=family.description,
            levels=[
                PathwayLevel(
                    rank=level.rank,
                    title=level.title,
                    description=level.description,
                    requirements=[
                        LevelRequirement(
                            competency=competencies[code],
                            required_level=requirement.level,
                            weight=requirement.weight,
                            critical=requirement.critical,
                        )
                        for code, requirement in level.requirement_specs().items()
                    ],
                )
                for level in family.levels
            ],
        )
        for family in spec.job_families
    ]
    session.add(framework)
    session.flush()
    return framework
