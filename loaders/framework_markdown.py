"""Progression frameworks written as Markdown with YAML front matter, the format of
monzo/progression-framework: `levels` (how many) and `topics`, each topic with `criteria`
(and `exampleCriteria`) per level. See docs/framework-formats.md.

One file is one job family:
- its levels are the pathway levels "Level 1" .. "Level N"; the scale runs from 0 to the top
  level, proficient at the middle level (ceil(N / 2));
- each topic is a competency coded `<family>-<topic>` (slugs of the file's `path`, or of its
  name, and of the topic's `name`), so re-importing the file updates the same competencies;
- a topic's criteria at level L, joined as a bullet list, describe proficiency L;
- level L requires proficiency L in every topic that has criteria at or below L.
"""

import hashlib
import math
import re
from pathlib import PurePath
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from data_model.models import CompetencyCategory
from loaders.errors import FileRefused
from loaders.framework_yaml import (
    MAX_SCALE_LEVEL,
    FrameworkSpec,
    describe_validation_error,
    describe_yaml_error,
    load_yaml,
)

CODE_LENGTH = 64
PROFESSIONAL_WORDS = (
    "behaviour", "behavior", "collaborat", "communicat", "conduct", "culture", "feedback",
    "influence", "leadership", "mentor", "people", "teamwork", "through others", "values",
)  # fmt: skip
"""A topic whose name or title holds one of these is about how people work together, so its
competency is `professional`; every other topic (knowledge, mastery, impact...) is `technical`."""


class _FrontMatterPart(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _ExampleCriterion(_FrontMatterPart):
    criteria: str
    examples: list[str] | None = None


class _LevelContent(_FrontMatterPart):
    level: int
    criteria: list[str] | None = None
    example_criteria: list[_ExampleCriterion] | None = Field(None, alias="exampleCriteria")

    def bullets(self) -> list[str]:
        lines = [f"- {criterion.strip()}" for criterion in self.criteria or [] if criterion.strip()]
        for example in self.example_criteria or []:
            shown = "; ".join(text.strip() for text in example.examples or [] if text.strip())
            if example.criteria.strip():
                lines.append(
                    f"- {example.criteria.strip()}" + (f" (e.g. {shown})" if shown else "")
                )
        return lines


class _Topic(_FrontMatterPart):
    name: Annotated[str, Field(min_length=1)]
    title: str | None = None
    content: list[_LevelContent] | None = None


class _FrontMatter(_FrontMatterPart):
    path: str | None = None
    title: str | None = None
    levels: Annotated[int, Field(ge=1, le=MAX_SCALE_LEVEL)]
    topics: list[_Topic]


def parse_progression_markdown(
    text: str, source: str, framework_code: str | None = None
) -> FrameworkSpec:
    """Read one progression file as a framework holding one job family.

    By default the framework is the file's own, coded `monzo-<family>`; give `framework_code`
    to put several family files into one framework (each import adds or updates its family).
    Raises FileRefused, naming the file and the problem, for anything that is not such a file.
    """
    front, body = _split_front_matter(text, source)
    try:
        document = load_yaml(front)
    except yaml.YAMLError as error:
        problem = describe_yaml_error(error, first_line=2)
        raise FileRefused(f"{source}: the YAML front matter does not parse: {problem}.") from error
    if not isinstance(document, dict) or not document.get("topics"):
        raise FileRefused(
            f"{source} has no YAML front matter framework: its front matter lists no topics "
            "(the framework is written as plain Markdown), so there is nothing to import."
        )
    try:
        matter = _FrontMatter.model_validate(document)
    except ValidationError as error:
        problem = describe_validation_error(error)
        message = f"{source}: the front matter is not a progression framework: {problem}."
        raise FileRefused(message) from error
    try:
        return FrameworkSpec.model_validate(_framework(matter, body, source, framework_code))
    except ValidationError as error:
        message = f"{source} cannot be imported: {describe_validation_error(error)}."
        raise FileRefused(message) from error


def _split_front_matter(text: str, source: str) -> tuple[str, str]:
    """(front matter, body); the front matter starts on the file's second line."""
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines[0].strip() != "---":
        raise FileRefused(
            f"{source} has no YAML front matter (it does not start with a '---' line), so it "
            "holds no progression framework to import."
        )
    for index, line in enumerate(lines[1:], start=1):
        if line.rstrip() in ("---", "..."):
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :])
    raise FileRefused(f"{source}: the YAML front matter is not closed by a '---' line.")


def _framework(
    matter: _FrontMatter, body: str, source: str, framework_code: str | None
) -> dict[str, object]:
    family = _code(
        _slug(PurePath(matter.path or "").name) or _slug(PurePath(source).stem) or "family"
    )
    ranks = _ranks(matter, source)
    descriptors = {
        _code(family, _slug(topic.name) or f"topic-{index}"): _descriptors(topic)
        for index, topic in enumerate(matter.topics, start=1)
    }
    if len(descriptors) < len(matter.topics):
        raise FileRefused(
            f"{source}: two topics have names that make the same competency code; "
            "rename one of them."
        )
    title = _words(matter.title or "")
    return {
        "code": framework_code or _code("monzo", family),
        "name": framework_code or title or family,
        "scale": {
            "min": 0,
            "max": ranks[-1],
            "proficient": ranks[0] - 1 + math.ceil(len(ranks) / 2),
        },
        "competencies": [
            {
                "code": code,
                "name": (_words(topic.title or "") or _capitalised(topic.name))[:256],
                "category": _category(topic),
                "levels": levels,
            }
            for (code, levels), topic in zip(descriptors.items(), matter.topics, strict=True)
        ],
        "job_families": [
            {
                "code": family,
                "name": (re.sub(r"\s+framework$", "", title, flags=re.IGNORECASE) or family)[:256],
                "description": body.strip(),
                "levels": [
                    {
                        "rank": rank,
                        "title": f"Level {rank}",
                        "requirements": {
                            code: rank
                            for code, levels in descriptors.items()
                            if any(level <= rank for level in levels)
                        },
                    }
                    for rank in ranks
                ],
            }
        ],
    }


def _ranks(matter: _FrontMatter, source: str) -> range:
    """Levels 1 .. N, or, when the topics number their levels from higher up (one real file
    says `levels: 5` and uses 2 .. 6), the N levels that end at the highest one used."""
    used = {content.level for topic in matter.topics for content in topic.content or []}
    top = max(used, default=matter.levels)
    first = 1 if top <= matter.levels else top - matter.levels + 1
    ranks = range(first, first + matter.levels)
    stray = sorted(level for level in used if level not in ranks)
    if stray:
        raise FileRefused(
            f"{source}: a topic has criteria for level {stray[0]}, outside the file's "
            f"{matter.levels} levels ({ranks[0]} to {ranks[-1]})."
        )
    if ranks[-1] > MAX_SCALE_LEVEL:
        raise FileRefused(f"{source}: levels go up to {ranks[-1]}, beyond {MAX_SCALE_LEVEL}.")
    return ranks


def _descriptors(topic: _Topic) -> dict[int, str]:
    bullets: dict[int, list[str]] = {}
    for content in topic.content or []:
        bullets.setdefault(content.level, []).extend(content.bullets())
    return {level: "\n".join(lines) for level, lines in sorted(bullets.items()) if lines}


def _category(topic: _Topic) -> CompetencyCategory:
    words = f"{topic.name} {topic.title or ''}".lower()
    if any(word in words for word in PROFESSIONAL_WORDS):
        return CompetencyCategory.PROFESSIONAL
    return CompetencyCategory.TECHNICAL


def _slug(text: str) -> str:
    return re.sub(r"[\W_]+", "-", text.lower()).strip("-")


def _code(*parts: str) -> str:
    """Parts joined by '-'; past 64 characters, cut and made unique again by a short hash."""
    code = "-".join(part for part in parts if part)
    if len(code) <= CODE_LENGTH:
        return code
    digest = hashlib.sha256(code.encode()).hexdigest()[:8]
    return f"{code[: CODE_LENGTH - 9].rstrip('-')}-{digest}"


def _words(title: str) -> str:
    """A title without the emoji and symbols in front of it: '🛠️ Backend' -> 'Backend'."""
    return re.sub(r"^\W+", "", title.strip())


def _capitalised(name: str) -> str:
    return name[:1].upper() + name[1:]
