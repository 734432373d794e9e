"""Reading CSV files as a stream of rows, with header checks and column mappings."""

import csv
import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import zip_longest
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any, BinaryIO

from loaders.errors import FileRefused

csv.field_size_limit(min(sys.maxsize, 64 * 1024 * 1024))
"""A megabyte-long name is odd but must be stored and shown safely, not refuse the file."""
BLOCK_BYTES = 1 << 20


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


@dataclass(frozen=True)
class Header:
    """The file's columns under Pathwise field names, and the mapping's constant fields."""

    names: list[str]
    constants: dict[str, str]

    def row(self, cells: list[str]) -> dict[str, str]:
        """One row as a dict: cells past the header go to `_extra`, constants win."""
        row = dict(zip(self.names, cells, strict=False))
        if len(cells) > len(self.names):
            row["_extra"] = ",".join(cells[len(self.names) :])
        row.update(self.constants)
        return row


@dataclass
class RowBlock:
    """Consecutive rows of a CSV file as read: row numbers and cells, for column-wise work."""

    header: Header
    numbers: list[int] = field(default_factory=list)
    cells: list[list[str]] = field(default_factory=list)

    def row(self, index: int) -> dict[str, str]:
        return self.header.row(self.cells[index])

    def json_rows(self, positions: list[int]) -> list[str]:
        """`json.dumps(row(i))` for each position: a row as long as a header of distinct names
        is written straight from its cells, with no dict built to be serialised."""
        names = self.header.names
        if self.header.constants or len(set(names)) < len(names):
            return [json.dumps(self.row(position)) for position in positions]
        keys = [f"{encode_basestring_ascii(name)}: " for name in names]
        out = []
        for position in positions:
            cells = self.cells[position]
            if len(cells) == len(names):
                out.append(
                    "{"
                    + ", ".join(map(str.__add__, keys, map(encode_basestring_ascii, cells)))
                    + "}"
                )
            else:
                out.append(json.dumps(self.row(position)))
        return out

    def columns(self) -> Callable[[str], Sequence[str | None]]:
        """A function giving a field's value in every row, as `row(i).get(name)` would."""
        transposed = list(zip_longest(*self.cells))
        names, constants = self.header.names, self.header.constants

        def column(name: str) -> Sequence[str | None]:
            if name in constants:
                return [constants[name]] * len(self.cells)
            places = [at for at, named in enumerate(names) if named == name]
            if len(places) > 1:
                return [self.row(index).get(name) for index in range(len(self.cells))]
            if not places or places[0] >= len(transposed):
                return [None] * len(self.cells)
            return transposed[places[0]]

        return column


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
    reader = csv.reader(decoded_lines(stream, file_name))
    header = _read_header(reader, file_name, required, mapping)
    for number, cells in _data_rows(reader, file_name):
        yield number, header.row(cells)


def read_blocks(
    stream: BinaryIO,
    file_name: str,
    required: set[str],
    mapping: Mapping[str, str] | None = None,
    rows_per_block: int = 10_000,
) -> Iterator[RowBlock]:
    """The same rows as `read_rows`, a block at a time, without a dict per row."""
    reader = csv.reader(decoded_lines(stream, file_name))
    block = RowBlock(_read_header(reader, file_name, required, mapping))
    for number, cells in _data_rows(reader, file_name):
        block.numbers.append(number)
        block.cells.append(cells)
        if len(block.cells) >= rows_per_block:
            yield block
            block = RowBlock(block.header)
    if block.cells:
        yield block


def _read_header(
    reader: Any, file_name: str, required: set[str], mapping: Mapping[str, str] | None
) -> Header:
    mapping = dict(mapping or {})
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
    return Header(names, constants)


def _data_rows(reader: Any, file_name: str) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of every row that is not blank; a NUL or broken quoting refuses
    the file."""
    try:
        for number, cells in enumerate(reader, start=2):
            text = "".join(cells)
            if not text.strip():
                continue
            if "\x00" in text:
                raise FileRefused(
                    f"{file_name} holds a NUL character on line {reader.line_num}: "
                    "it looks like binary data, not a CSV export."
                )
            yield number, cells
    except csv.Error as error:
        raise FileRefused(
            f"{file_name} is not a readable CSV file (line {reader.line_num}: {error})."
        ) from error


def decoded_lines(stream: BinaryIO, file_name: str) -> Iterator[str]:
    """The file's lines as text. Decoded a block of whole lines at a time (line by line costs a
    tenth of a million-row import); a block that is not UTF-8 is decoded again line by line,
    so that the lines before the bad one are still read and the bad one is named."""
    number = 0
    for data in _whole_lines(stream):
        for line in _lines(data, number, file_name):
            number += 1
            yield line.removeprefix("\ufeff") if number == 1 else line


def _whole_lines(stream: BinaryIO) -> Iterator[bytes]:
    """The stream in blocks that end at a newline (the last one maybe not)."""
    pending = b""
    for block in iter(lambda: stream.read(BLOCK_BYTES), b""):
        pending += block
        cut = pending.rfind(b"\n") + 1
        if cut:
            yield pending[:cut]
            pending = pending[cut:]
    if pending:
        yield pending


def _lines(data: bytes, before: int, file_name: str) -> Iterator[str]:
    """`data` (whole lines, the last maybe without its newline) as lines of text."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _lines_one_by_one(data, before, file_name)
    return iter(_split_after_newlines(text))


def _split_after_newlines(text: str) -> list[str]:
    """Lines ending at each "\\n" only, as a binary readline splits them."""
    lines = [line + "\n" for line in text.split("\n")]
    if text.endswith("\n"):
        lines.pop()
    else:
        lines[-1] = lines[-1][:-1]
    return lines


def _lines_one_by_one(data: bytes, before: int, file_name: str) -> Iterator[str]:
    pieces = [piece + b"\n" for piece in data.split(b"\n")]
    pieces[-1] = pieces[-1][:-1]
    for number, line in enumerate(filter(None, pieces), start=before + 1):
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError as error:
            raise FileRefused(
                f"{file_name} is not UTF-8 text (line {number} cannot be decoded); "
                "save it as CSV UTF-8 and try again."
            ) from error
