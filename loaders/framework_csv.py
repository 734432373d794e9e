"""Frameworks as CSV files, for L&D admins who keep theirs in a spreadsheet.
See docs/framework-formats.md for the layout with an example.

A folder or a .zip holds up to three files, recognised by name:
- competencies.csv (required): code, name, category, description, level_1 .. level_N;
- requirements.csv (optional): one row per level and competency it requires;
- framework.csv (optional): `setting,value` rows for the code, name, description and scale.
A single CSV file of another name is read as competencies.csv.

Column names ignore case, spaces and hyphens ("Level 1" is level_1); cells are trimmed;
blank rows are skipped; Excel's semicolon-separated CSV is read too. Anything wrong refuses
the whole framework with one sentence naming the file, the row and the column.
"""

import csv
import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from pydantic import ValidationError

from data_model.models import CompetencyCategory
from loaders.errors import FileRefused
from loaders.framework_yaml import (
    MAX_RANK,
    MAX_SCALE_LEVEL,
    FrameworkSpec,
    ScaleSpec,
    describe_validation_error,
)

COMPETENCIES = "competencies.csv"
REQUIREMENTS = "requirements.csv"
SETTINGS = "framework.csv"
COMPETENCY_COLUMNS = ("code", "name", "category")
REQUIREMENT_COLUMNS = (
    "job_family_code", "job_family_name", "rank", "title", "competency_code", "required_level",
)  # fmt: skip
SETTING_NAMES = ("code", "name", "description", "scale_min", "scale_max", "proficient")
LEVEL_COLUMN = re.compile(r"level_?(\d+)")
LABEL_SETTING = re.compile(r"label_?(\d+)")
YES = {"yes", "y", "true", "1", "x"}
NO = {"", "no", "n", "false", "0"}


def parse_framework_csv(
    files: Mapping[str, bytes], framework_code: str | None = None
) -> FrameworkSpec:
    """Read a framework from its CSV files, keyed by the names messages should use (the base
    name tells which file is which). `framework_code`, when given, is the framework's code
    whatever framework.csv says; without framework.csv it is required."""
    roles = _roles(files)
    settings = _settings(roles[SETTINGS]) if SETTINGS in roles else {}
    competencies = _read_table(roles[COMPETENCIES], COMPETENCY_COLUMNS, ("description",))
    scale = _scale(settings, competencies, roles.get(SETTINGS))
    code = framework_code or settings.get("code")
    if not code:
        raise FileRefused(
            f"{competencies.name} names no framework: add framework.csv with a 'code' row, or "
            "give the framework code when importing."
        )
    document = {
        "code": code,
        "name": settings.get("name") or code,
        "description": settings.get("description", ""),
        "scale": scale,
        "competencies": _competencies(competencies),
        "job_families": _families(roles[REQUIREMENTS], competencies, scale)
        if REQUIREMENTS in roles
        else [],
    }
    try:
        return FrameworkSpec.model_validate(document)
    except ValidationError as error:
        names = ", ".join(files)
        raise FileRefused(
            f"{names} cannot be imported: {describe_validation_error(error)}."
        ) from error


@dataclass
class _Table:
    name: str
    columns: list[str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)

    def refuse(self, number: int, column: str, problem: str) -> FileRefused:
        problem = " ".join(problem.split())
        return FileRefused(f"{self.name} row {number}, column {column}: {problem}.")


def _roles(files: Mapping[str, bytes]) -> dict[str, tuple[str, bytes]]:
    """Which file is which; a lone CSV of another name is the competencies."""
    roles: dict[str, tuple[str, bytes]] = {}
    for name, data in files.items():
        role = PurePosixPath(name).name.lower()
        if len(files) == 1 and role not in (SETTINGS, REQUIREMENTS):
            role = COMPETENCIES
        if role not in (COMPETENCIES, REQUIREMENTS, SETTINGS):
            raise FileRefused(
                f"{name} is not one of the framework files {COMPETENCIES}, {REQUIREMENTS} and "
                f"{SETTINGS}; rename it or take it out."
            )
        if role in roles:
            raise FileRefused(f"{name} and {roles[role][0]} are both {role}; keep one of them.")
        roles[role] = (name, data)
    if COMPETENCIES not in roles:
        where = " and ".join(files) or "The framework"
        raise FileRefused(f"{where} holds no {COMPETENCIES}, which every framework needs.")
    return roles


def _decode(name: str, data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        row = data[: error.start].count(b"\n") + 1
        raise FileRefused(
            f"{name} is not UTF-8 text: row {row} holds the byte {data[error.start]:#04x}, "
            "which UTF-8 cannot decode; save it as 'CSV UTF-8' and import it again."
        ) from error
    if "\x00" in text:
        row = text[: text.index("\x00")].count("\n") + 1
        raise FileRefused(
            f"{name} is not UTF-8 text: row {row} holds a NUL character (UTF-16 files do); "
            "save it as 'CSV UTF-8' and import it again."
        )
    return text


def _read_table(
    file: tuple[str, bytes],
    required: tuple[str, ...],
    optional: tuple[str, ...],
    pattern: re.Pattern[str] | None = LEVEL_COLUMN,
) -> _Table:
    """The rows of one file under normalised column names, checking the header first."""
    name, data = file
    text = _decode(name, data)
    if not text.strip():
        raise FileRefused(f"{name} is empty: row 1 must name the columns {', '.join(required)}.")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [re.sub(r"[\s\-]+", "_", cell.strip().lower()) for cell in next(reader)]
        table = _Table(name, _checked_header(name, header, required, optional, pattern))
        for number, cells in enumerate(reader, start=2):
            if any(cell.strip() for cell in cells):
                table.rows.append((number, _row(table, number, cells)))
    except csv.Error as error:
        raise FileRefused(
            f"{name} cannot be read as CSV near line {reader.line_num}: {error}."
        ) from error
    return table


def _checked_header(
    name: str,
    header: list[str],
    required: tuple[str, ...],
    optional: tuple[str, ...],
    pattern: re.Pattern[str] | None,
) -> list[str]:
    for index, column in enumerate(header):
        if column and column in header[:index]:
            raise FileRefused(f"{name} row 1 names the column '{column}' twice.")
        known = column in required or column in optional
        if column and not known and not (pattern and pattern.fullmatch(column)):
            accepted = ", ".join([*required, *optional, *(["level_1 .. level_N"] * bool(pattern))])
            raise FileRefused(
                f"{name} row 1, column {index + 1}: '{_shown(column)}' is not a known column; "
                f"the columns are {accepted}."
            )
    missing = [column for column in required if column not in header]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise FileRefused(
            f"{name} row 1 lacks the column{plural} {', '.join(missing)} "
            f"(it names {', '.join(column for column in header if column) or 'none'})."
        )
    return header


def _row(table: _Table, number: int, cells: list[str]) -> dict[str, str]:
    for index, cell in enumerate(cells):
        if cell.strip() and (index >= len(table.columns) or not table.columns[index]):
            raise table.refuse(number, str(index + 1), "holds a value but row 1 names no column")
    values = [cell.strip() for cell in cells] + [""] * (len(table.columns) - len(cells))
    return {column: value for column, value in zip(table.columns, values, strict=False) if column}


def _settings(file: tuple[str, bytes]) -> dict[str, Any]:
    table = _read_table(file, ("setting", "value"), (), pattern=None)
    settings: dict[str, Any] = {}
    labels: dict[int, str] = {}
    for number, row in table.rows:
        setting = re.sub(r"[\s\-]+", "_", row["setting"].lower())
        label = LABEL_SETTING.fullmatch(setting)
        if setting in settings or (label and int(label[1]) in labels):
            raise table.refuse(number, "setting", f"'{setting}' is set twice")
        if label:
            labels[_integer(table, number, "setting", label[1], 0, MAX_SCALE_LEVEL)] = row["value"]
        elif setting in ("scale_min", "scale_max", "proficient"):
            settings[setting] = _integer(table, number, "value", row["value"], 0, MAX_SCALE_LEVEL)
        elif setting in SETTING_NAMES:
            settings[setting] = row["value"]
        else:
            raise table.refuse(
                number,
                "setting",
                f"'{_shown(setting)}' is not a setting; use {', '.join(SETTING_NAMES)} or "
                "label_<level>",
            )
    return {**settings, "labels": labels}


def _scale(
    settings: dict[str, Any], competencies: _Table, settings_file: tuple[str, bytes] | None
) -> dict[str, Any]:
    """framework.csv's scale; what it leaves out runs from 0 to the highest level column
    (5 without any), proficient at the middle."""
    levels = [int(match[1]) for c in competencies.columns if (match := LEVEL_COLUMN.fullmatch(c))]
    low = settings.get("scale_min", 0)
    high = settings.get("scale_max", max(levels, default=5))
    scale = {
        "min": low,
        "max": high,
        "proficient": settings.get("proficient", low + math.ceil((high - low) / 2)),
        "labels": settings.get("labels", {}),
    }
    where = settings_file[0] if settings_file else competencies.name
    try:
        ScaleSpec.model_validate(scale)
    except ValidationError as error:
        message = f"{where} sets an impossible scale: {describe_validation_error(error)}."
        raise FileRefused(message) from error
    for level in levels:
        if not low <= level <= high:
            raise competencies.refuse(1, f"level_{level}", f"level {level} is off the scale")
    return scale


def _competencies(table: _Table) -> list[dict[str, Any]]:
    seen: dict[str, int] = {}
    competencies = []
    for number, row in table.rows:
        code = _text(table, number, "code", row["code"], 64)
        if code in seen:
            raise table.refuse(number, "code", f"'{code}' is already used on row {seen[code]}")
        seen[code] = number
        category = row["category"].lower()
        if category not in {member.value for member in CompetencyCategory}:
            choices = ", ".join(member.value for member in CompetencyCategory)
            problem = f"'{_shown(row['category'])}' is not a category; use one of {choices}"
            raise table.refuse(number, "category", problem)
        competencies.append(
            {
                "code": code,
                "name": _text(table, number, "name", row["name"], 256),
                "category": category,
                "description": row.get("description", ""),
                "levels": {
                    int(match[1]): words
                    for column, words in row.items()
                    if (match := LEVEL_COLUMN.fullmatch(column)) and words
                },
            }
        )
    return competencies


def _families(
    file: tuple[str, bytes], competencies: _Table, scale: dict[str, Any]
) -> list[dict[str, Any]]:
    """Rows grouped into job families and levels; a family's name and a level's title need
    giving once, and a row without a competency declares a level with no requirements."""
    table = _read_table(file, REQUIREMENT_COLUMNS, ("weight", "critical"), pattern=None)
    known = {row["code"] for _, row in competencies.rows}
    families: dict[str, dict[str, Any]] = {}
    for number, row in table.rows:
        code = _text(table, number, "job_family_code", row["job_family_code"], 64)
        family = families.setdefault(code, {"code": code, "name": "", "levels": {}})
        _agree(table, number, family, "name", row, "job_family_name")
        rank = _integer(table, number, "rank", row["rank"], 0, MAX_RANK)
        level = family["levels"].setdefault(rank, {"rank": rank, "title": "", "requirements": {}})
        _agree(table, number, level, "title", row, "title")
        competency = row["competency_code"]
        if not competency:
            if row["required_level"] or row.get("weight") or row.get("critical"):
                raise table.refuse(
                    number, "competency_code", "is empty but the row requires a level"
                )
            continue
        if competency not in known:
            problem = f"no competency in {COMPETENCIES} has the code '{_shown(competency)}'"
            raise table.refuse(number, "competency_code", problem)
        if competency in level["requirements"]:
            problem = f"{code} level {rank} already requires {competency} on an earlier row"
            raise table.refuse(number, "competency_code", problem)
        required = _number(table, number, "required_level", row["required_level"])
        if not scale["min"] <= required <= scale["max"]:
            problem = f"{required:g} is off the scale {scale['min']} to {scale['max']}"
            raise table.refuse(number, "required_level", problem)
        weight = _number(table, number, "weight", row.get("weight") or "1")
        if weight <= 0:
            raise table.refuse(number, "weight", "must be above 0")
        level["requirements"][competency] = {
            "level": required,
            "weight": weight,
            "critical": _flag(table, number, row.get("critical", "")),
        }
    for family in families.values():
        code = _shown(family["code"])
        if not family["name"]:
            raise FileRefused(f"{table.name} gives no job_family_name for {code}.")
        for level in family["levels"].values():
            if not level["title"]:
                raise FileRefused(f"{table.name} gives no title for {code} level {level['rank']}.")
        family["levels"] = list(family["levels"].values())
    return list(families.values())


def _agree(
    table: _Table, number: int, holder: dict[str, Any], key: str, row: dict[str, str], column: str
) -> None:
    """Fill a family's name or a level's title from the first row that gives it."""
    value = row[column]
    if value and holder[key] and value != holder[key]:
        problem = f"'{_shown(value)}' differs from '{_shown(holder[key])}' given on an earlier row"
        raise table.refuse(number, column, problem)
    if value and len(value) > 256:
        raise table.refuse(number, column, "is longer than 256 characters")
    holder[key] = holder[key] or value


def _text(table: _Table, number: int, column: str, value: str, longest: int) -> str:
    if not value:
        raise table.refuse(number, column, "is empty")
    if len(value) > longest:
        raise table.refuse(number, column, f"is longer than {longest} characters")
    return value


def _integer(table: _Table, number: int, column: str, value: str, low: int, high: int) -> int:
    try:
        result = int(value)
    except ValueError:
        raise table.refuse(number, column, f"'{_shown(value)}' is not a whole number") from None
    if not low <= result <= high:
        raise table.refuse(number, column, f"{_shown(value)} is not between {low} and {high}")
    return result


def _number(table: _Table, number: int, column: str, value: str) -> float:
    """A finite number; a decimal comma (2,5) is read as a decimal point."""
    try:
        result = float(re.sub(r"^(-?\d+),(\d+)$", r"\1.\2", value))
    except ValueError:
        result = math.nan
    if not math.isfinite(result):
        raise table.refuse(number, column, f"'{_shown(value)}' is not a number")
    return result


def _flag(table: _Table, number: int, value: str) -> bool:
    if value.lower() in YES | NO:
        return value.lower() in YES
    raise table.refuse(number, "critical", f"'{_shown(value)}' is not yes or no")


def _shown(value: str) -> str:
    """A cell as messages quote it: on one line, at most 40 characters."""
    value = " ".join(value.split())
    return value if len(value) <= 40 else f"{value[:37]}..."
