"""xAPI statements: a JSON array, one statement, JSON Lines, or an LRS response page.

The shape is told from the first non-whitespace bytes (after an optional UTF-8 BOM): `[` is an
array, read one statement at a time; `{` is JSON Lines when the file has more than one line
and its first or second line is a JSON value on its own, else one JSON document (a statement,
or an LRS response `{"statements": [...], "more": ...}`, read whole within the pipeline's size
limit). JSON Lines are read line by line, and a bad line only rejects that row.

Verbs are matched by their last segment (after the last `/`, `#` or `:`), so ADL's
`http://adlnet.gov/expapi/verbs/passed` and another vocabulary's `.../verbs#passed` both count
as "passed"; voiding is the one exception, matched only by the IRI the specification fixes.
See docs/xapi.md for the mapping.
"""

import codecs
import json
import math
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import count
from typing import Annotated, Any, BinaryIO, ClassVar, Literal, NoReturn

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from loaders.errors import FileRefused
from loaders.record_input import (
    ParsedRow,
    RecordImporter,
    RecordInput,
    RowRejected,
    RowSkipped,
    RowVoided,
)
from loaders.records_csv import parse_when

CHUNK_BYTES = 1 << 20
WHITESPACE = " \t\r\n"
WHITESPACE_BYTES = WHITESPACE.encode()
NOT_WHITESPACE = re.compile(r"[^ \t\r\n]")
BOM = codecs.BOM_UTF8
MAX_DEPTH = 64
"""Deeper statements are rejected: storing and re-reading them would recurse that deep."""
MAX_KEY = 2048
"""The longest person or activity key the unmapped queue can hold."""
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
Outcome = tuple[bool | None, bool | None]

EVIDENCE_VERBS: dict[str, Callable[[bool | None, bool | None], Outcome]] = {
    "passed": lambda success, completion: (True, True),
    "failed": lambda success, completion: (False, completion),
    "completed": lambda success, completion: (success, True),
    "mastered": lambda success, completion: (True, completion),
    "scored": lambda success, completion: (None, None),
}
"""(passed, completed) for each evidence verb, from result.success and result.completion.
Every other verb (launched, attempted, experienced, ...) is skipped: it shows no learning."""


def _not_a_number(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise ValueError(f"the number {text[:40]} is out of range")
    return number


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"the number {text[:20]}... has too many digits") from None


DECODER = json.JSONDecoder(
    parse_constant=_not_a_number, parse_float=_finite_float, parse_int=_whole_number
)
"""Strict JSON: NaN, Infinity and numbers beyond what Python reads (a float's range, 4,300
digits) are errors, not values that could not be stored as they came."""


# -- The statement, validated ------------------------------------------------------------------

Key = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_KEY)]
Number = Annotated[float, Field(allow_inf_nan=False, ge=-1e12, le=1e12)]


def _uuid(text: str) -> str:
    """The canonical form, so a voiding statement finds its target whatever the case."""
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise ValueError("must be a UUID") from None


def _mailto(text: str) -> str:
    if not text.lower().startswith("mailto:") or not text[7:].strip():
        raise ValueError("must be a mailto: IRI")
    return text[7:].strip()


Mailbox = Annotated[str, StringConstraints(max_length=MAX_KEY), AfterValidator(_mailto)]
"""A `mailto:` IRI, read as the address alone."""


class _Model(BaseModel):
    """JSON types as sent: a string "0.9" is not a score and "true" is not a boolean."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class Verb(_Model):
    id: Key


class StatementObject(_Model):
    object_type: Literal["Activity", "Agent", "Group", "SubStatement", "StatementRef"] = Field(
        "Activity", alias="objectType"
    )
    id: Key | None = None


class Envelope(_Model):
    """What decides whether a statement is evidence at all, checked before anything else."""

    verb: Verb
    object: StatementObject


class Account(_Model):
    home_page: str = Field(alias="homePage")
    name: Key


class Actor(_Model):
    """An Agent, or a Group identified like one; only mbox and account can name a person."""

    mbox: Mailbox | None = None
    account: Account | None = None
    mbox_sha1sum: str | None = None
    openid: str | None = None

    @model_validator(mode="after")
    def _identified(self) -> "Actor":
        if self.mbox is None and self.account is None:
            if self.mbox_sha1sum is not None or self.openid is not None:
                raise ValueError(
                    "mbox_sha1sum and openid cannot be matched to a person; send mbox or account"
                )
            raise ValueError("needs an mbox or an account to be matched to a person")
        return self

    def key(self) -> str:
        return self.mbox or (self.account.name if self.account else "")


class Score(_Model):
    scaled: Number | None = None
    raw: Number | None = None
    minimum: Number | None = Field(None, alias="min")
    maximum: Number | None = Field(None, alias="max")

    @model_validator(mode="after")
    def _usable(self) -> "Score":
        if self.scaled is not None:
            if self.scaled < 0:
                raise ValueError("scaled is negative, which Pathwise cannot weigh as evidence")
            if self.scaled > 1:
                raise ValueError("scaled must be at most 1")
        elif self.raw is not None:
            low = self.minimum or 0.0
            if self.maximum is None:
                raise ValueError("raw needs max (and min, if not 0)")
            if not low < self.maximum:
                raise ValueError("max must be above min")
            if not low <= self.raw <= self.maximum:
                raise ValueError("raw must be between min and max")
        return self

    def share(self) -> tuple[float | None, float | None]:
        """(score, max_score): scaled out of 1, else raw - min out of max - min."""
        if self.scaled is not None:
            return self.scaled, 1.0
        if self.raw is not None and self.maximum is not None:
            low = self.minimum or 0.0
            return self.raw - low, self.maximum - low
        return None, None


class Result(_Model):
    score: Score | None = None
    success: bool | None = None
    completion: bool | None = None


class Evidence(_Model):
    """The rest of a statement whose verb and object make it evidence."""

    id: Annotated[str, AfterValidator(_uuid)] | None = None
    actor: Actor
    result: Result | None = None
    timestamp: str | None = None
    stored: str | None = None
    context: dict[str, Any] | None = None


def verb_name(verb_id: str) -> str:
    """The verb's last segment, lower case: 'passed' for .../verbs/passed or ...#passed."""
    return re.split(r"[/#:]", verb_id.rstrip("/#"))[-1].lower()


def parse_statement(row_number: int, statement: Any, source: str | None = None) -> ParsedRow:
    """One statement, as JSON decoded it, to the row the pipeline takes.

    `source`, the statement's JSON text when known, spares most statements the walk that
    looks for what could not be stored.
    """
    problem = _storage_problem(statement) if _may_be_unstorable(source) else None
    if problem:
        return RowRejected(row_number, _ascii_json(statement), None, f"the statement {problem}")
    if not isinstance(statement, dict):
        reason = f"a statement must be a JSON object, not {_json_type(statement)}"
        return RowRejected(row_number, statement, None, reason)
    if statement.get("objectType") == "SubStatement":
        reason = "objectType: a SubStatement is part of a statement, not a statement"
        return RowRejected(row_number, statement, "objectType", reason)
    try:
        head = Envelope.model_validate(statement)
    except ValidationError as error:
        return _rejected(row_number, statement, error)
    if head.verb.id == VOIDED:
        return _voiding(row_number, statement, head.object)
    verb = verb_name(head.verb.id)
    if verb not in EVIDENCE_VERBS:
        return RowSkipped(row_number, f"verb '{verb}' is not evidence of learning")
    if head.object.object_type != "Activity":
        return RowSkipped(row_number, "object is not an activity")
    if head.object.id is None:
        return RowRejected(row_number, statement, "object.id", "object.id: an activity needs an id")
    try:
        body = Evidence.model_validate(statement)
    except ValidationError as error:
        return _rejected(row_number, statement, error)
    return _record(row_number, statement, verb, head.object.id, body)


def _voiding(row_number: int, statement: dict[str, Any], target: StatementObject) -> ParsedRow:
    if target.object_type != "StatementRef" or target.id is None:
        reason = "object: a voiding statement must be a StatementRef with an id"
        return RowRejected(row_number, statement, "object", reason)
    try:
        voided = _uuid(target.id)
    except ValueError:
        return RowRejected(row_number, statement, "object.id", "object.id: must be a UUID")
    return RowVoided(row_number, statement, voided_key=f"xapi:{voided}")


def _record(
    row_number: int, statement: dict[str, Any], verb: str, activity: str, body: Evidence
) -> ParsedRow:
    result = body.result or Result()
    score, max_score = result.score.share() if result.score else (None, None)
    if verb == "scored" and score is None:
        reason = "result.score: a 'scored' statement needs scaled or raw"
        return RowRejected(row_number, statement, "result.score", reason)
    field = "stored" if body.timestamp is None else "timestamp"
    when = getattr(body, field)
    if when is None:
        return RowRejected(row_number, statement, "timestamp", "no timestamp")
    try:
        occurred_at = parse_when(when)
    except ValueError as error:
        return RowRejected(row_number, statement, field, f"{field}: {error}")
    passed, completed = EVIDENCE_VERBS[verb](result.success, result.completion)
    return RecordInput(
        row_number=row_number, raw=statement, person=body.actor.key(), occurred_at=occurred_at,
        activity=activity, score=score, max_score=max_score, passed=passed, completed=completed,
        source_id=body.id, namespace="xapi",
    )  # fmt: skip


def _rejected(row_number: int, statement: Any, error: ValidationError) -> RowRejected:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or None
    text = str(first["msg"]).removeprefix("Value error, ")
    return RowRejected(row_number, statement, field, f"{field}: {text}" if field else text)


def _storage_problem(value: Any) -> str | None:
    """Why the statement could not be kept as JSON on every backend, if it could not.

    PostgreSQL's JSONB refuses NUL characters, and UTF-8 cannot encode the unpaired
    surrogates a JSON `\\ud800` escape makes. Walked without recursion: it checks the depth.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"is nested more than {MAX_DEPTH} levels deep"
        if isinstance(item, dict):
            stack.extend((key, depth) for key in item)
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            if "\x00" in item:
                return "contains a NUL character, which the database cannot store"
            try:
                item.encode()
            except UnicodeEncodeError:
                return "contains an unpaired surrogate, which is not valid Unicode"
    return None


def _may_be_unstorable(source: str | None) -> bool:
    """False when the text cannot hide a problem: a NUL or surrogate needs a `\\u` escape
    (strict JSON allows neither raw), and depth needs as many brackets."""
    if source is None:
        return True
    return "\\u" in source or source.count("{") + source.count("[") > MAX_DEPTH


def _ascii_json(value: Any) -> str | None:
    """The statement as escaped JSON text, which any backend stores; None if too deep."""
    try:
        return json.dumps(value)
    except RecursionError:
        return None


def _json_type(value: Any) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


# -- Reading the file --------------------------------------------------------------------------


@dataclass
class _Head:
    """What was read to tell the file's shape: the blocks, to be read again, the first byte
    that is not whitespace and, for a file starting with `{`, its first two non-blank lines."""

    blocks: list[bytes] = field(default_factory=list)
    first: bytes = b""
    lines: list[bytes] = field(default_factory=list)
    bom: bool = False

    def is_json_lines(self) -> bool:
        return len(self.lines) == 2 and any(_decodes(line) for line in self.lines)

    def replay(self, rest: Iterator[bytes]) -> Iterator[bytes]:
        """The blocks read so far, then the rest; each is let go of once handed on."""
        self.blocks.reverse()
        while self.blocks:
            yield self.blocks.pop()
        yield from rest


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    while block := stream.read(CHUNK_BYTES):
        yield block


def _read_head(chunks: Iterator[bytes]) -> _Head:
    head, partial = _Head(), list[bytes]()
    for block in chunks:
        if not head.blocks and block.startswith(BOM):
            head.bom, block = True, block[len(BOM) :]
        head.blocks.append(block)
        head.first = head.first or block.lstrip(WHITESPACE_BYTES)[:1]
        if head.first not in (b"", b"{"):
            return head
        *complete, rest = block.split(b"\n")
        for part in complete:
            line, partial = b"".join([*partial, part]), []
            if line.strip(WHITESPACE_BYTES):
                head.lines.append(line)
        partial.append(rest)
        if len(head.lines) >= 2:
            del head.lines[2:]
            return head
    last = b"".join(partial)
    if last.strip(WHITESPACE_BYTES):
        head.lines.append(last)
    return head


def _decodes(line: bytes) -> bool:
    try:
        DECODER.decode(line.decode())
    except (ValueError, RecursionError):
        return False
    return True


def _json_lines(chunks: Iterator[bytes]) -> Iterator[ParsedRow]:
    for number, line in enumerate(_split_lines(chunks), start=1):
        try:
            text = line.decode()
        except UnicodeDecodeError as error:
            reason = f"line {number} is not UTF-8 text (byte {error.start + 1} cannot be decoded)"
            yield RowRejected(number, _storable(line.decode(errors="replace")), None, reason)
            continue
        if not text.strip(WHITESPACE):
            continue
        try:
            statement = DECODER.decode(text)
        except (ValueError, RecursionError) as error:
            reason = f"line {number} is not valid JSON ({_json_problem(error)})"
            yield RowRejected(number, _storable(text), None, reason)
            continue
        yield parse_statement(number, statement, text)


def _split_lines(chunks: Iterator[bytes]) -> Iterator[bytes]:
    partial: list[bytes] = []
    for block in chunks:
        *complete, rest = block.split(b"\n")
        for part in complete:
            yield b"".join([*partial, part])
            partial = []
        partial.append(rest)
    if any(partial):
        yield b"".join(partial)


def _plain(error: json.JSONDecodeError) -> str:
    """The decoder's message without its dangling "at", which the caller says."""
    return error.msg.removesuffix(" starting at").removesuffix(" at")


def _storable(text: str) -> str:
    """A line kept as it came, but for NUL characters, which PostgreSQL cannot store."""
    return text.replace("\x00", "\\u0000")


def _json_problem(error: ValueError | RecursionError) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"column {error.colno}: {_plain(error)}"
    if isinstance(error, RecursionError):
        return "it is nested too deeply"
    return str(error)


class _Text:
    """Decoded text read on demand, so that an array's statements are decoded one at a time.

    A value cut off by the end of what has been read fails to decode; then more is read and it
    is tried again. Text already consumed is let go of, keeping its line and column count.
    """

    def __init__(self, chunks: Iterator[bytes], file_name: str, bytes_before: int) -> None:
        self.chunks, self.file_name = chunks, file_name
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.buffer, self.pos, self.eof = "", 0, False
        self.bytes_read = bytes_before
        self.line, self.column = 1, 1
        """Where `buffer[0]` is in the file."""

    def read(self, at_least: int = 1) -> None:
        """Read on until `at_least` more characters are in hand, or the file ends."""
        self.line, self.column = self.where(self.pos)
        self.buffer, self.pos = self.buffer[self.pos :], 0
        wanted = len(self.buffer) + at_least
        while not self.eof and len(self.buffer) < wanted:
            block = next(self.chunks, b"")
            pending = len(self.decoder.getstate()[0])
            try:
                self.buffer += self.decoder.decode(block, final=not block)
            except UnicodeDecodeError as error:
                byte = self.bytes_read - pending + error.start + 1
                raise FileRefused(
                    f"{self.file_name} is not UTF-8 text (byte {byte:,} cannot be decoded)."
                ) from error
            self.bytes_read += len(block)
            self.eof = not block

    def peek(self) -> str:
        """The next character that is not whitespace, or '' at the end of the file."""
        while True:
            found = NOT_WHITESPACE.search(self.buffer, self.pos)
            self.pos = found.start() if found else len(self.buffer)
            if found or self.eof:
                return self.buffer[self.pos : self.pos + 1]
            self.read()

    def take(self, char: str, expected: str) -> None:
        if self.peek() != char:
            self.refuse(f"expected {expected}", self.pos)
        self.pos += 1

    def value(self) -> tuple[Any, str]:
        """The next JSON value, and its text."""
        self.peek()
        while True:
            try:
                value, end = DECODER.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError as error:
                if self.eof or not self._cut_short(error):
                    self.refuse(_plain(error), error.pos)
                self.read(max(CHUNK_BYTES, len(self.buffer)))
                continue
            except (ValueError, RecursionError) as error:
                self.refuse(_json_problem(error), self.pos)
            if end < len(self.buffer) or self.eof:
                start, self.pos = self.pos, end
                return value, self.buffer[start:end]
            self.read()  # a number that ends the buffer may go on in the next block

    def _cut_short(self, error: json.JSONDecodeError) -> bool:
        """Whether the error may just be the end of what has been read so far; any other error
        shows within a few characters of where it is."""
        return error.msg.startswith("Unterminated string") or error.pos >= len(self.buffer) - 16

    def where(self, pos: int) -> tuple[int, int]:
        """Line and column (from 1) of `buffer[pos]` in the file."""
        before = self.buffer[:pos]
        newlines = before.count("\n")
        if newlines:
            return self.line + newlines, pos - before.rfind("\n")
        return self.line, self.column + pos

    def refuse(self, problem: str, pos: int) -> NoReturn:
        line, column = self.where(pos)
        raise FileRefused(
            f"{self.file_name} is not valid JSON (line {line}, column {column}: {problem})."
        )


def _array(text: _Text) -> Iterator[ParsedRow]:
    text.take("[", "[")
    if text.peek() == "]":
        text.pos += 1
    else:
        for number in count(1):
            yield parse_statement(number, *text.value())
            if text.peek() == "]":
                text.pos += 1
                break
            text.take(",", ", or ] after a statement")
    if text.peek():
        text.refuse("more after the end of the array", text.pos)


def _document(text: _Text, on_more: Callable[[str], None]) -> Iterator[ParsedRow]:
    """One statement, or an LRS response page; its `more` link cannot be followed from a
    file, so it is handed to `on_more` for the summary to tell."""
    document, source = text.value()
    if text.peek():
        text.refuse("a second JSON value; JSON Lines need one statement per line", text.pos)
    if not isinstance(document, dict) or "statements" not in document:
        yield parse_statement(1, document, source)
        return
    statements = document["statements"]
    if not isinstance(statements, list):
        raise FileRefused(f"{text.file_name} is an LRS response whose statements are not a list.")
    more = document.get("more")
    if isinstance(more, str) and more.strip():
        on_more(more.strip())
    for number, statement in enumerate(statements, start=1):
        yield parse_statement(number, statement)


class XapiImporter(RecordImporter):
    """Reads xAPI statements in any of the four shapes; see the module's docstring."""

    kind: ClassVar[str] = "xapi"

    def __init__(self) -> None:
        self.more: str | None = None

    def parse(self, stream: BinaryIO, file_name: str) -> Iterator[ParsedRow]:
        self.more = None
        chunks = _chunks(stream)
        head = _read_head(chunks)
        rest = head.replay(chunks)
        if head.first == b"[":
            yield from _array(_Text(rest, file_name, len(BOM) if head.bom else 0))
        elif head.first == b"{" and head.is_json_lines():
            yield from _json_lines(rest)
        elif head.first == b"{":
            text = _Text(rest, file_name, len(BOM) if head.bom else 0)
            yield from _document(text, self._found_more)
        elif not head.first:
            raise FileRefused(f"{file_name} is empty.")
        else:
            first = head.first.decode(errors="replace")
            raise FileRefused(
                f"{file_name} is not xAPI JSON: it starts with {first!r}, not [ or {{."
            )

    def _found_more(self, link: str) -> None:
        self.more = link

    def notices(self) -> dict[str, Any]:
        """An LRS page with a `more` link holds only part of the statements: the summary says
        where the rest are, since a file import cannot fetch them."""
        return {"more": self.more} if self.more else {}
