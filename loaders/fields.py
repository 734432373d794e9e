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


def within(value: Any, limit: int, what: str) -> str | None:
    """A cell no longer than its column holds: PostgreSQL refuses a longer one (and with it
    the whole file), SQLite would keep a megabyte."""
    text = blank_to_none(value)
    if text is not None and len(text) > limit:
        raise ValueError(f"The {what} is {len(text):,} characters long; at most {limit:,} fit.")
    return text


def one_line(value: Any, limit: int, what: str) -> str | None:
    """A name-like cell as one line of printable text, within `limit` characters."""
    text = blank_to_none(value)
    if text is None:
        return None
    return within(" ".join(UNPRINTABLE.sub("", str(text)).split()), limit, what)


def limited(limit: int, what: str, *, line: bool = False) -> BeforeValidator:
    """The validator for a text column of `limit` characters; `line` also makes it one
    printable line (names and titles, which pages show)."""
    check = one_line if line else within
    return BeforeValidator(lambda value: check(value, limit, what))


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


def error_message(error: dict[str, Any]) -> str:
    where = ".".join(str(part) for part in error["loc"])
    text = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {text}" if where else text


def rejected_for(number: int, row: Any, error: ValidationError) -> RowRejected:
    """The rejection for a row that failed validation, naming its first bad field."""
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or None
    return RowRejected(number, row, field, error_message(first))
