"""Field parsers shared by the CSV importers: blank cells, yes/no, numbers, emails, errors."""

import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationError

from loaders.record_input import RowRejected

TRUE = {"true", "t", "yes", "y", "1", "passed", "pass", "completed", "complete"}
FALSE = {"false", "f", "no", "n", "0", "failed", "fail", "incomplete"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value.strip() if isinstance(value, str) else value


UNPRINTABLE = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
"""Control characters (NUL breaks PostgreSQL text, ESC terminals) and bidirectional overrides
(which make a name read backwards); tabs and line breaks become spaces instead."""


def one_line(value: Any, limit: int, what: str) -> str | None:
    """A name-like cell as one line of printable text, or a clear refusal when too long."""
    text = blank_to_none(value)
    if text is None:
        return None
    text = " ".join(UNPRINTABLE.sub("", str(text)).split())
    if len(text) > limit:
        raise ValueError(f"Keep the {what} under {limit} characters.")
    return text or None


def boolean(value: Any) -> bool | None:
    value = blank_to_none(value)
    if value is None:
        return None
    text = str(value).lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueError(f"'{value}' is not yes or no")


def finite(value: Any) -> float | None:
    value = blank_to_none(value)
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"'{value}' is not a number") from None
    if not math.isfinite(number) or abs(number) > 1e12:
        raise ValueError(f"{value} is not a usable number")
    return number


def email(value: Any) -> str:
    text = blank_to_none(value)
    if text is None or len(text) > 320 or not EMAIL.match(text):
        raise ValueError(f"'{value}' is not an email address")
    return text


Text = Annotated[str | None, BeforeValidator(blank_to_none)]
Number = Annotated[float | None, BeforeValidator(finite)]
YesNo = Annotated[bool | None, BeforeValidator(boolean)]


Email = Annotated[str, BeforeValidator(email)]
Name = Annotated[str, BeforeValidator(lambda value: one_line(value, 256, "name"))]
Place = Annotated[str | None, BeforeValidator(lambda value: one_line(value, 128, "value"))]


def error_message(error: dict[str, Any]) -> str:
    where = ".".join(str(part) for part in error["loc"])
    text = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {text}" if where else text


def rejected_for(number: int, row: Any, error: ValidationError) -> RowRejected:
    """The rejection for a row that failed validation, naming its first bad field."""
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or None
    return RowRejected(number, row, field, error_message(first))
