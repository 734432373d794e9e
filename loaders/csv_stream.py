"""Reading CSV files as a stream of rows, with header checks and column mappings."""

import csv
import sys
from collections.abc import Iterator, Mapping
from typing import BinaryIO

from loaders.errors import FileRefused

csv.field_size_limit(min(sys.maxsize, 64 * 1024 * 1024))
"""A megabyte-long name is odd but must be stored and shown safely, not refuse the file."""


def parse_mapping(text: str | None) -> dict[str, str]:
    """`field=column,field=column` -> {field: column}; `field==value` gives a constant."""
    mapping: dict[str, str] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, sep, column = part.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise FileRefused(f"'{part}' is not field=column in the column mapping.")
        mapping[name.strip()] = column.strip()
    return mapping


def read_rows(
    stream: BinaryIO,
    file_name: str,
    required: set[str],
    mapping: Mapping[str, str] | None = None,
) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number, row) with Pathwise field names, row 2 being the first after the header.

    `mapping` renames: {field: column in the file}; a column written `=value` is a constant.
    A file without the required columns is refused before any row is read.
    """
    mapping = dict(mapping or {})
    reader = csv.reader(decoded_lines(stream, file_name))
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise FileRefused(f"{file_name} is not a readable CSV file ({error}).") from error

    if not header or not any(cell.strip() for cell in header):
        raise FileRefused(f"{file_name} is empty: it has no header row.")
    columns = [cell.strip() for cell in header]
    constants = {f: c[1:] for f, c in mapping.items() if c.startswith("=")}
    renamed = {c: f for f, c in mapping.items() if not c.startswith("=")}
    unknown = sorted(set(renamed) - set(columns))
    if unknown:
        raise FileRefused(f"{file_name} has no column {', '.join(repr(c) for c in unknown)} "
                          "named in the column mapping.")  # fmt: skip
    # A column named like a field that the mapping reads from elsewhere keeps its value under
    # another name, so that the mapping always wins.
    mapped_fields = set(renamed.values()) | set(constants)
    names = [
        renamed.get(column, f"unmapped:{column}" if column in mapped_fields else column)
        for column in columns
    ]
    missing = sorted(required - set(names) - set(constants))
    if missing:
        raise FileRefused(
            f"{file_name} is missing the required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} (it has {', '.join(columns)})."
        )
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if any("\x00" in cell for cell in cells):
                raise FileRefused(
                    f"{file_name} holds a NUL character on line {reader.line_num}: "
                    "it looks like binary data, not a CSV export."
                )
            row = dict(zip(names, cells, strict=False))
            if len(cells) > len(names):
                row["_extra"] = ",".join(cells[len(names) :])
            row.update(constants)
            yield number, row
    except csv.Error as error:
        raise FileRefused(
            f"{file_name} is not a readable CSV file (line {reader.line_num}: {error})."
        ) from error


def decoded_lines(stream: BinaryIO, file_name: str) -> Iterator[str]:
    """The file's lines as text, decoded one line at a time so that a byte that is not UTF-8
    is reported on its own line (a text wrapper decodes ahead in blocks)."""
    for number, line in enumerate(iter(stream.readline, b""), start=1):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as error:
            raise FileRefused(
                f"{file_name} is not UTF-8 text (line {number} cannot be decoded); "
                "save it as CSV UTF-8 and try again."
            ) from error
        yield text.removeprefix("\ufeff") if number == 1 else text
