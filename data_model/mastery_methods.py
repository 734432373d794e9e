"""The calculation methods Canvas users know, over evidence values in time order.

Each method takes the values of one competency's evidence, oldest first, and gives a result on
the framework's scale, or None where the method gives none. Results are rounded half-up to two
decimals, as Canvas does; Python's `round` rounds half to even and gets 4.125 wrong.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

CANVAS_METHODS = ("highest", "latest", "average", "weighted_average", "decaying_average",
                  "n_mastery")  # fmt: skip
EVIDENCE_METHOD = "evidence"
PARAMETER_DEFAULTS = {"weighted_average": 65.0, "decaying_average": 65.0, "n_mastery": 3.0}


class UnknownMethod(ValueError):
    """A method name or parameter that Pathwise does not know; the message says which exist."""


@dataclass(frozen=True)
class Method:
    """A calculation method with its parameter: `weighted_average:65` is W = 65%."""

    name: str
    parameter: float | None = None

    def __str__(self) -> str:
        if self.parameter is None:
            return self.name
        return f"{self.name}:{self.parameter:g}"

    @property
    def is_evidence(self) -> bool:
        return self.name == EVIDENCE_METHOD


def parse_method(text: str) -> Method:
    """`evidence`, `highest`, `latest`, `average`, `weighted_average:W`, `decaying_average:W`,
    `n_mastery:N`; a missing parameter takes Canvas's default."""
    name, _, raw = text.strip().partition(":")
    known = (EVIDENCE_METHOD, *CANVAS_METHODS)
    if name not in known:
        raise UnknownMethod(f"Unknown method '{name}': use one of {', '.join(known)}.")
    if name not in PARAMETER_DEFAULTS:
        if raw:
            raise UnknownMethod(f"The method '{name}' takes no parameter.")
        return Method(name)
    try:
        parameter = float(raw) if raw else PARAMETER_DEFAULTS[name]
    except ValueError as error:
        raise UnknownMethod(f"'{raw}' is not a number for the method '{name}'.") from error
    if name == "n_mastery" and (parameter < 1 or parameter != int(parameter)):
        raise UnknownMethod("n_mastery needs a whole number of at least 1, as n_mastery:3.")
    if name != "n_mastery" and not 0 < parameter < 100:
        raise UnknownMethod(f"{name} needs a percentage between 0 and 100, as {name}:65.")
    return Method(name, parameter)


def round_half_up(value: float | None) -> float | None:
    if value is None or np.isnan(value):
        return None
    return float(Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def canvas_results(
    method: Method, evidence: pd.DataFrame, proficient: pd.Series | float
) -> pd.Series:
    """The method's result per group of `evidence`, which holds `group` and `value` columns
    sorted oldest first within each group; `proficient` is per group or one number.
    NaN where the method gives no result."""
    values = evidence["value"].astype(float)
    grouped = values.groupby(evidence["group"], sort=True)
    name, parameter = method.name, method.parameter or 0.0
    if name == "highest":
        result = grouped.max()
    elif name == "latest":
        result = grouped.last()
    elif name == "average":
        result = grouped.mean()
    elif name == "weighted_average":
        last, total, count = grouped.last(), grouped.sum(), grouped.count()
        share = parameter / 100
        earlier_mean = (total - last) / (count - 1).where(count > 1)
        result = (share * last + (1 - share) * earlier_mean).where(count > 1, last)
    elif name == "decaying_average":
        share = parameter / 100
        position = grouped.cumcount()
        newer = grouped.transform("size") - 1 - position
        coefficient = np.where(position == 0, 1.0, share) * (1 - share) ** newer
        result = (values * coefficient).groupby(evidence["group"], sort=True).sum()
    elif name == "n_mastery":
        threshold = (
            evidence["group"].map(proficient) if isinstance(proficient, pd.Series) else proficient
        )
        reaching = values.where(values >= threshold)
        by_group = reaching.groupby(evidence["group"], sort=True)
        result = by_group.mean().where(by_group.count() >= parameter)
    else:
        raise UnknownMethod(f"'{method}' is not a Canvas method.")
    return result.map(round_half_up).astype(float)


def canvas_result(method: Method, values: Sequence[float], proficient: float) -> float | None:
    """The method's result over one competency's values, oldest first; None without a result."""
    if not values:
        return None
    frame = pd.DataFrame({"group": 0, "value": list(values)})
    return round_half_up(canvas_results(method, frame, proficient).iloc[0])
