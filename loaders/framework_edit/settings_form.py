"""Mastery settings as the Framework page's forms give them, checked, and told apart in words:
the framework's own (every value) and a competency's own (only the values that override the
framework's)."""

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from data_model.mastery_methods import (
    CANVAS_METHODS,
    EVIDENCE_METHOD,
    PARAMETER_DEFAULTS,
    UnknownMethod,
)
from data_model.mastery_settings import MasterySettings
from data_model.models import SourceKind
from loaders.framework_edit.common import EditRefused

METHODS = (EVIDENCE_METHOD, *CANVAS_METHODS)
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
