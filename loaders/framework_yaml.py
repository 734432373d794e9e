"""Pathwise's native framework format: one YAML document holding the scale, the mastery
settings, the competencies with their level descriptors, and the job families with their
pathway levels and requirements. See README "Framework YAML" for an example.

Every framework format (this one, CSV, progression Markdown) validates into `FrameworkSpec`,
and `apply_framework` writes any of them: a new framework is added, a known one is updated in
place so that the ids people and records point at survive.
"""

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Annotated, Any, Self

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from data_model.mastery_settings import MasterySettings
from data_model.models import (
    Competency,
    CompetencyCategory,
    Framework,
    JobFamily,
    LevelDescriptor,
    LevelRequirement,
    PathwayLevel,
    Person,
)
from loaders.errors import FileRefused

MAX_SCALE_LEVEL = 100
"""The mastery engine keeps one value per level, so a scale is a handful of levels, not 10^9."""
MAX_RANK = 2**31 - 1
"""Ranks are stored as 32-bit integers on PostgreSQL."""


def _storable(text: str) -> str:
    """PostgreSQL refuses NUL characters and no database can encode an unpaired surrogate;
    YAML's "\\0" and "\\ud800" escapes make both, so they are refused here, not on write."""
    if "\x00" in text:
        raise ValueError("text must not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError("text must not contain unpaired surrogate characters") from error
    return text


Text = Annotated[str, AfterValidator(_storable)]
Code = Annotated[Text, Field(min_length=1, max_length=64)]
Name = Annotated[Text, Field(min_length=1, max_length=256)]
Finite = Annotated[float, Field(allow_inf_nan=False)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScaleSpec(_Spec):
    min: Annotated[int, Field(ge=0, le=MAX_SCALE_LEVEL)] = 0
    max: Annotated[int, Field(ge=0, le=MAX_SCALE_LEVEL)] = 5
    proficient: int = 3
    labels: dict[int, Text] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.min < self.max:
            raise ValueError("scale min must be below max")
        if not self.min <= self.proficient <= self.max:
            raise ValueError("the proficient level must lie on the scale")
        return self


class CompetencySpec(_Spec):
    code: Code
    name: Name
    category: CompetencyCategory
    description: Text = ""
    levels: dict[int, Text] = Field(default_factory=dict, description="Descriptor per level.")
    mastery: dict[str, Any] = Field(default_factory=dict)


class RequirementSpec(_Spec):
    level: Finite
    weight: Annotated[Finite, Field(gt=0)] = 1.0
    critical: bool = False


class LevelSpec(_Spec):
    rank: Annotated[int, Field(ge=0, le=MAX_RANK)]
    title: Name
    description: Text = ""
    requirements: dict[str, Finite | RequirementSpec] = Field(default_factory=dict)

    def requirement_specs(self) -> dict[str, RequirementSpec]:
        return {
            code: spec if isinstance(spec, RequirementSpec) else RequirementSpec(level=spec)
            for code, spec in self.requirements.items()
        }


class JobFamilySpec(_Spec):
    code: Code
    name: Name
    description: Text = ""
    levels: list[LevelSpec]


class FrameworkSpec(_Spec):
    code: Code
    name: Name
    description: Text = ""
    scale: ScaleSpec = ScaleSpec()
    mastery: dict[str, Any] = Field(default_factory=dict)
    competencies: list[CompetencySpec]
    job_families: list[JobFamilySpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        codes = [competency.code for competency in self.competencies]
        if len(codes) != len(set(codes)):
            raise ValueError("competency codes must be unique")
        families = [family.code for family in self.job_families]
        if len(families) != len(set(families)):
            raise ValueError("job family codes must be unique")
        self._check_mastery()
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

    def _check_mastery(self) -> None:
        """Settings the mastery engine could not read later are refused now, with the file."""
        for competency in [None, *self.competencies]:
            overrides = competency.mastery if competency else {}
            try:
                MasterySettings.merged(self.mastery, overrides)
                json.dumps([self.mastery, overrides], allow_nan=False)
            except ValidationError as error:
                problem = describe_validation_error(error)
            except (ValueError, TypeError) as error:
                problem = " ".join(str(error).split())
            else:
                continue
            where = f"{competency.code}: " if competency else ""
            raise ValueError(f"{where}mastery settings are not valid: {problem}")


def load_yaml(text: str) -> Any:
    """`yaml.safe_load` that fails only with `yaml.YAMLError`.

    PyYAML also raises ValueError for an impossible date (2020-13-01) or `!!int abc`, and
    RecursionError for deep nesting; an importer must refuse those files, not crash.
    """
    try:
        return yaml.safe_load(text)
    except (ValueError, TypeError, OverflowError, RecursionError) as error:
        raise yaml.YAMLError(str(error) or type(error).__name__) from error


def describe_yaml_error(error: yaml.YAMLError, first_line: int = 1) -> str:
    """The problem in a few words with its line, counting the text's first line as `first_line`
    (front matter starts on a file's second line)."""
    if isinstance(error, yaml.MarkedYAMLError) and error.problem:
        problem, mark = " ".join(error.problem.split()), error.problem_mark
        return f"{problem} (line {mark.line + first_line})" if mark else problem
    return " ".join(str(error).split())


def describe_validation_error(error: ValidationError) -> str:
    """Where a problem is and what it is: `competencies.0.code: String should ...`. The deepest
    one is the telling one when a value may take two forms (a level, or level and weight)."""
    first = max(error.errors(), key=lambda problem: len(problem["loc"]))
    where = ".".join(str(part) for part in first["loc"]) or "document"
    return f"{where}: {first['msg'].removeprefix('Value error, ').rstrip('.')}"


def parse_framework_yaml(text: str, source: str = "framework") -> FrameworkSpec:
    """Read and validate a native framework document, refusing it whole if anything is wrong."""
    try:
        document = load_yaml(text)
    except yaml.YAMLError as error:
        message = f"{source} is not valid YAML: {describe_yaml_error(error)}."
        raise FileRefused(message) from error
    try:
        return FrameworkSpec.model_validate(document)
    except ValidationError as error:
        message = f"{source} is not a Pathwise framework: {describe_validation_error(error)}."
        raise FileRefused(message) from error


def add_framework(session: Session, spec: FrameworkSpec) -> Framework:
    """Write a new framework with its competencies, job families, levels and requirements."""
    framework = Framework(code=spec.code, **_framework_settings(spec, keep_mastery=False))
    competencies = {item.code: _new_competency(item) for item in spec.competencies}
    framework.competencies = list(competencies.values())
    framework.job_families = [_new_family(family, competencies) for family in spec.job_families]
    session.add(framework)
    session.flush()
    return framework


def _framework_settings(spec: FrameworkSpec, keep_mastery: bool) -> dict[str, Any]:
    settings = {
        "name": spec.name,
        "description": spec.description,
        "scale_min": spec.scale.min,
        "scale_max": spec.scale.max,
        "proficient_level": spec.scale.proficient,
        "scale_labels": {str(level): label for level, label in spec.scale.labels.items()},
    }
    if not keep_mastery:
        settings["mastery_settings"] = dict(spec.mastery)
    return settings


def _competency_fields(item: CompetencySpec, keep_mastery: bool) -> dict[str, Any]:
    fields = {"name": item.name, "category": item.category, "description": item.description}
    if not keep_mastery:
        fields["mastery_settings"] = dict(item.mastery)
    return fields


def _new_competency(item: CompetencySpec) -> Competency:
    return Competency(
        code=item.code,
        **_competency_fields(item, keep_mastery=False),
        descriptors=[
            LevelDescriptor(level=level, description=words) for level, words in item.levels.items()
        ],
    )


def _new_family(item: JobFamilySpec, competencies: dict[str, Competency]) -> JobFamily:
    return JobFamily(
        code=item.code,
        name=item.name,
        description=item.description,
        levels=[_new_level(level, competencies) for level in item.levels],
    )


def _new_level(item: LevelSpec, competencies: dict[str, Competency]) -> PathwayLevel:
    return PathwayLevel(
        rank=item.rank,
        title=item.title,
        description=item.description,
        requirements=[
            _requirement(competencies[code], requirement)
            for code, requirement in item.requirement_specs().items()
        ],
    )


def _requirement(competency: Competency, spec: RequirementSpec) -> LevelRequirement:
    return LevelRequirement(
        competency=competency,
        required_level=spec.level,
        weight=spec.weight,
        critical=spec.critical,
    )


@dataclass(frozen=True)
class FrameworkChanges:
    """What applying a framework file did, item by item in plain words, for the importer's
    report and the audit log. Competencies, job families and levels that the file no longer
    names are kept (records and people point at them) and listed as kept."""

    framework: str
    created: bool = False
    settings_changed: tuple[str, ...] = ()
    competencies_added: tuple[str, ...] = ()
    competencies_updated: tuple[str, ...] = ()
    competencies_unchanged: tuple[str, ...] = ()
    competencies_kept: tuple[str, ...] = ()
    job_families_added: tuple[str, ...] = ()
    job_families_updated: tuple[str, ...] = ()
    job_families_kept: tuple[str, ...] = ()
    levels_added: tuple[str, ...] = ()
    levels_updated: tuple[str, ...] = ()
    levels_removed: tuple[str, ...] = ()
    levels_kept: tuple[str, ...] = ()
    requirements_added: tuple[str, ...] = ()
    requirements_changed: tuple[str, ...] = ()
    requirements_removed: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """False when the database already matched the file."""
        return self.created or any(getattr(self, name) for name in _CHANGE_FIELDS)

    def as_dict(self) -> dict[str, Any]:
        return {
            name: list(value) if isinstance(value, tuple) else value
            for name, value in asdict(self).items()
        }

    def summary(self) -> str:
        """One paragraph: what happened, then each kind of item with counts and names."""
        if self.created:
            sentences = [f"Framework {self.framework} created."]
        elif self.changed:
            sentences = [f"Framework {self.framework} updated."]
        else:
            sentences = [f"Framework {self.framework} unchanged: the database already matches."]
        if self.settings_changed:
            sentences.append(f"Settings changed: {', '.join(self.settings_changed)}.")
        for heading, parts in _SUMMARY_GROUPS:
            counted = [
                _counted(len(items), words, items if words != "unchanged" else ())
                for words, name in parts
                if (items := getattr(self, name))
            ]
            if counted:
                sentences.append(f"{heading}: {'; '.join(counted)}.")
        return " ".join(sentences)


_SUMMARY_GROUPS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Competencies", (("added", "competencies_added"), ("updated", "competencies_updated"),
                      ("unchanged", "competencies_unchanged"),
                      ("kept, not in file", "competencies_kept"))),
    ("Job families", (("added", "job_families_added"), ("updated", "job_families_updated"),
                      ("kept, not in file", "job_families_kept"))),
    ("Levels", (("added", "levels_added"), ("updated", "levels_updated"),
                ("removed", "levels_removed"), ("kept, not in file", "levels_kept"))),
    ("Requirements", (("added", "requirements_added"), ("changed", "requirements_changed"),
                      ("removed", "requirements_removed"))),
)  # fmt: skip
_CHANGE_FIELDS = (
    "settings_changed", "competencies_added", "competencies_updated", "job_families_added",
    "job_families_updated", "levels_added", "levels_updated", "levels_removed",
    "requirements_added", "requirements_changed", "requirements_removed",
)  # fmt: skip
NAMES_IN_SUMMARY = 5


def _counted(count: int, words: str, items: Iterable[str]) -> str:
    names = list(items)
    if not names:
        return f"{count} {words}"
    shown = ", ".join(names[:NAMES_IN_SUMMARY])
    more = f" and {len(names) - NAMES_IN_SUMMARY} more" if len(names) > NAMES_IN_SUMMARY else ""
    return f"{count} {words} ({shown}{more})"


@dataclass
class _ChangeLog:
    entries: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, *items: str) -> None:
        self.entries.setdefault(kind, []).extend(items)

    def freeze(self, framework: str, created: bool = False) -> FrameworkChanges:
        lists = {kind: tuple(items) for kind, items in self.entries.items()}
        return FrameworkChanges(framework=framework, created=created, **lists)


def apply_framework(
    session: Session, spec: FrameworkSpec, *, keep_mastery: bool = False
) -> FrameworkChanges:
    """Add the framework, or bring the stored one in line with the file, keeping its ids.

    Competencies are matched by code, job families by code, levels by rank, so people's job
    families and records' competencies stay linked. Nothing that something may point at is
    deleted: competencies and job families the file no longer names are kept, and a level the
    file drops is removed only when nobody holds it. `keep_mastery` leaves mastery settings as
    they are, for formats that cannot state them. Raises FileRefused when the file cannot be
    applied to what is stored; the caller then rolls its transaction back.
    """
    _check_family_codes_free(session, spec)
    framework = session.scalar(select(Framework).where(Framework.code == spec.code))
    log = _ChangeLog()
    if framework is None:
        add_framework(session, spec)
        log.add("competencies_added", *(item.code for item in spec.competencies))
        for family in spec.job_families:
            log.add("job_families_added", family.code)
            for level in family.levels:
                _log_new_level(log, family.code, level)
        return log.freeze(spec.code, created=True)
    for name, value in _framework_settings(spec, keep_mastery).items():
        if getattr(framework, name) != value:
            setattr(framework, name, value)
            log.add("settings_changed", name)
    competencies = _apply_competencies(session, framework, spec, log, keep_mastery)
    _apply_families(session, framework, spec, competencies, log)
    session.flush()
    _check_on_scale(session, framework)
    return log.freeze(spec.code)


def _check_family_codes_free(session: Session, spec: FrameworkSpec) -> None:
    """Job family codes are unique across frameworks, so a file cannot take another's."""
    codes = [family.code for family in spec.job_families]
    taken = session.execute(
        select(JobFamily.code, Framework.code)
        .join(Framework, JobFamily.framework_id == Framework.id)
        .where(JobFamily.code.in_(codes), Framework.code != spec.code)
        .limit(1)
    ).first()
    if taken:
        raise FileRefused(
            f"the job family '{taken[0]}' already belongs to the framework '{taken[1]}', and "
            "job family codes are unique across frameworks."
        )


def _apply_competencies(
    session: Session,
    framework: Framework,
    spec: FrameworkSpec,
    log: _ChangeLog,
    keep_mastery: bool,
) -> dict[str, Competency]:
    """Upsert by code; returns every competency of the framework (flushed, with ids) by code."""
    stored = {
        competency.code: competency
        for competency in session.scalars(
            select(Competency)
            .where(Competency.framework_id == framework.id)
            .order_by(Competency.id)
            .options(selectinload(Competency.descriptors))
        )
    }
    for item in spec.competencies:
        competency = stored.get(item.code)
        if competency is None:
            stored[item.code] = _new_competency(item)
            framework.competencies.append(stored[item.code])
            log.add("competencies_added", item.code)
            continue
        what = _changed_fields(competency, _competency_fields(item, keep_mastery))
        levels = _sync_descriptors(competency, item.levels)
        if levels:
            what.append(f"descriptors for level{'s' * (len(levels) > 1)} {_listed(levels)}")
        if what:
            log.add("competencies_updated", f"{item.code} ({', '.join(what)})")
        else:
            log.add("competencies_unchanged", item.code)
    in_file = {item.code for item in spec.competencies}
    log.add("competencies_kept", *(code for code in stored if code not in in_file))
    session.flush()
    return stored


_FIELD_WORDS = {"mastery_settings": "mastery settings"}


def _changed_fields(row: Any, wanted: dict[str, Any]) -> list[str]:
    """Set each differing attribute; returns the names of those that changed."""
    changed = []
    for name, value in wanted.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed.append(_FIELD_WORDS.get(name, name))
    return changed


def _sync_descriptors(competency: Competency, wanted: dict[int, str]) -> list[int]:
    """Make the descriptors match, updating rows in place; returns the levels that changed."""
    changed = []
    for descriptor in list(competency.descriptors):
        if descriptor.level not in wanted:
            competency.descriptors.remove(descriptor)
            changed.append(descriptor.level)
        elif descriptor.description != wanted[descriptor.level]:
            descriptor.description = wanted[descriptor.level]
            changed.append(descriptor.level)
    stored = {descriptor.level for descriptor in competency.descriptors} | set(changed)
    for level, words in wanted.items():
        if level not in stored:
            competency.descriptors.append(LevelDescriptor(level=level, description=words))
            changed.append(level)
    return sorted(changed)


def _apply_families(
    session: Session,
    framework: Framework,
    spec: FrameworkSpec,
    competencies: dict[str, Competency],
    log: _ChangeLog,
) -> None:
    stored = {
        family.code: family
        for family in session.scalars(
            select(JobFamily)
            .where(JobFamily.framework_id == framework.id)
            .order_by(JobFamily.id)
            .options(selectinload(JobFamily.levels).selectinload(PathwayLevel.requirements))
        )
    }
    for item in spec.job_families:
        family = stored.get(item.code)
        if family is None:
            framework.job_families.append(_new_family(item, competencies))
            log.add("job_families_added", item.code)
            for level in item.levels:
                _log_new_level(log, item.code, level)
            continue
        what = _changed_fields(family, {"name": item.name, "description": item.description})
        if what:
            log.add("job_families_updated", f"{item.code} ({', '.join(what)})")
        _apply_levels(session, family, item, competencies, log)
    in_file = {item.code for item in spec.job_families}
    log.add("job_families_kept", *(code for code in stored if code not in in_file))


def _apply_levels(
    session: Session,
    family: JobFamily,
    item: JobFamilySpec,
    competencies: dict[str, Competency],
    log: _ChangeLog,
) -> None:
    """Upsert levels by rank; a level the file drops goes only if nobody holds it."""
    stored = {level.rank: level for level in family.levels}
    for wanted in item.levels:
        level = stored.get(wanted.rank)
        if level is None:
            family.levels.append(_new_level(wanted, competencies))
            _log_new_level(log, family.code, wanted)
            continue
        what = _changed_fields(level, {"title": wanted.title, "description": wanted.description})
        if what:
            log.add("levels_updated", f"{family.code} level {wanted.rank} ({', '.join(what)})")
        label = f"{family.code} level {wanted.rank}"
        _apply_requirements(level, wanted, competencies, label, log)
    in_file = {wanted.rank for wanted in item.levels}
    for rank, level in stored.items():
        if rank in in_file:
            continue
        holders = session.scalar(
            select(func.count())
            .select_from(Person)
            .where(Person.job_family_id == family.id, Person.title_level == rank)
        )
        if holders:
            people = "person holds" if holders == 1 else "people hold"
            log.add("levels_kept", f"{family.code} level {rank} ({holders} {people} it)")
        else:
            family.levels.remove(level)
            log.add("levels_removed", f"{family.code} level {rank}")


def _apply_requirements(
    level: PathwayLevel,
    item: LevelSpec,
    competencies: dict[str, Competency],
    label: str,
    log: _ChangeLog,
) -> None:
    """Make the level's requirements exactly the file's, updating matching rows in place."""
    codes = {competency.id: code for code, competency in competencies.items()}
    stored = {requirement.competency_id: requirement for requirement in level.requirements}
    wanted = item.requirement_specs()
    for code, spec in wanted.items():
        requirement = stored.get(competencies[code].id)
        if requirement is None:
            level.requirements.append(_requirement(competencies[code], spec))
            log.add("requirements_added", f"{label}: {code} at {_requirement_words(spec)}")
            continue
        before = RequirementSpec(
            level=requirement.required_level,
            weight=requirement.weight,
            critical=requirement.critical,
        )
        if before != spec:
            requirement.required_level = spec.level
            requirement.weight = spec.weight
            requirement.critical = spec.critical
            log.add(
                "requirements_changed",
                f"{label}: {code} from {_requirement_words(before)} to {_requirement_words(spec)}",
            )
    wanted_ids = {competencies[code].id for code in wanted}
    for competency_id, requirement in stored.items():
        if competency_id not in wanted_ids:
            level.requirements.remove(requirement)
            log.add("requirements_removed", f"{label}: {codes.get(competency_id, competency_id)}")


def _log_new_level(log: _ChangeLog, family: str, level: LevelSpec) -> None:
    log.add("levels_added", f"{family} level {level.rank} ({level.title})")
    log.add(
        "requirements_added",
        *(
            f"{family} level {level.rank}: {code} at {_requirement_words(requirement)}"
            for code, requirement in level.requirement_specs().items()
        ),
    )


def _requirement_words(requirement: RequirementSpec) -> str:
    """`3`, or `3 (weight 2, critical)` when the weight or the critical flag is not the default."""
    extras = [f"weight {requirement.weight:g}"] if requirement.weight != 1 else []
    extras += ["critical"] if requirement.critical else []
    return f"{requirement.level:g}" + (f" ({', '.join(extras)})" if extras else "")


def _listed(levels: list[int]) -> str:
    return ", ".join(str(level) for level in levels)


def _check_on_scale(session: Session, framework: Framework) -> None:
    """A narrower scale must not strand what the file did not mention: the descriptors of kept
    competencies and the requirements of kept job families and levels."""
    low, high = framework.scale_min, framework.scale_max
    descriptor = session.execute(
        select(Competency.code, LevelDescriptor.level)
        .join(LevelDescriptor.competency)
        .where(Competency.framework_id == framework.id)
        .where((LevelDescriptor.level < low) | (LevelDescriptor.level > high))
        .order_by(Competency.code, LevelDescriptor.level)
        .limit(1)
    ).first()
    if descriptor:
        raise FileRefused(
            f"the scale {low} to {high} would leave the level {descriptor[1]} descriptor of "
            f"{descriptor[0]}, which the file does not mention, off the scale."
        )
    requirement = session.execute(
        select(JobFamily.code, PathwayLevel.rank, Competency.code, LevelRequirement.required_level)
        .join(LevelRequirement.level)
        .join(PathwayLevel.job_family)
        .join(LevelRequirement.competency)
        .where(JobFamily.framework_id == framework.id)
        .where((LevelRequirement.required_level < low) | (LevelRequirement.required_level > high))
        .order_by(JobFamily.code, PathwayLevel.rank, Competency.code)
        .limit(1)
    ).first()
    if requirement:
        family, rank, code, required = requirement
        raise FileRefused(
            f"the scale {low} to {high} would leave {family} level {rank}'s requirement of {code} "
            f"at {required:g}, which the file does not mention, off the scale."
        )
