"""Mastery settings: a framework's defaults, overridable per competency."""

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator

from data_model.mastery_methods import Method, parse_method
from data_model.models import ActivityKind, Scoring, SourceKind

DEFAULT_TRUST: dict[SourceKind, float] = {
    SourceKind.ASSESSMENT: 1.0,
    SourceKind.CERTIFICATION: 1.0,
    SourceKind.ATTESTATION: 0.8,
    SourceKind.PROJECT: 0.7,
    SourceKind.PORTFOLIO: 0.7,
    SourceKind.COURSE: 0.6,
    SourceKind.MENTORING: 0.6,
    SourceKind.PEER_REVIEW: 0.5,
    SourceKind.SELF_REPORT: 0.3,
}
DEFAULT_PASS_MARK = 0.7


def default_scoring(kind: ActivityKind) -> Scoring:
    """Certifications are pass/fail tests; every other score is a grade that keeps its detail."""
    return Scoring.PASS if kind is ActivityKind.CERTIFICATION else Scoring.GRADED


class MasterySettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    method: str = "evidence"
    half_life_days: float = Field(default=365.0, gt=0)
    minimum_support: float = Field(default=0.5, ge=0)
    trust: dict[SourceKind, float] = Field(default_factory=lambda: dict(DEFAULT_TRUST))

    @field_validator("method")
    @classmethod
    def _known_method(cls, value: str) -> str:
        return str(parse_method(value))

    @field_validator("trust")
    @classmethod
    def _complete_trust(cls, value: dict[SourceKind, float]) -> dict[SourceKind, float]:
        if any(weight < 0 for weight in value.values()):
            raise ValueError("trust weights cannot be negative")
        return {**DEFAULT_TRUST, **value}

    @property
    def parsed_method(self) -> Method:
        return parse_method(self.method)

    @classmethod
    def merged(cls, framework: dict[str, Any], competency: dict[str, Any] | None = None) -> Self:
        """The framework's settings with a competency's overrides on top (trust key by key)."""
        combined = {**(framework or {}), **(competency or {})}
        trust = {**(framework or {}).get("trust", {}), **(competency or {}).get("trust", {})}
        if trust:
            combined["trust"] = trust
        return cls.model_validate(combined)
