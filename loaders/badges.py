"""Open Badges 3.0 credentials as learning records: certification evidence of each competency
a badge's achievement is aligned to. A badge aligned to none (most badges in the wild) waits
in the unmapped queue under its achievement until an L&D admin maps that to a competency.

Read: one OpenBadgeCredential (or AchievementCredential), a JSON list of them, a CLR 2.0
ClrCredential carrying them in `credentialSubject.verifiableCredential`, or JSON Lines of any
of these. Structure is validated; proofs, revocation and the issuer's identity are not, so
every record says "signature not verified". docs/open-badges.md has the mapping.
"""

import hashlib
import json
import math
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, BinaryIO, ClassVar, NamedTuple, NoReturn, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    field_validator,
)
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data_model.models import Competency, Framework, SourceKind
from loaders.errors import FileRefused
from loaders.record_input import ParsedRow, RecordImporter, RecordInput, RowRejected, RowSkipped

MAX_BYTES = 64 * 1024**2
MAX_DEPTH = 64
MAX_DIGITS = 1000
MAX_QUEUE_KEY = 2048
"""The longest key (a learner's, an achievement's) the unmapped queue can hold."""
UNALIGNED = (
    "its achievement names no competency: held until an L&D admin maps the achievement to "
    "one, then at least that competency's proficient level"
)
MAX_FIELD = 256
VC_CONTEXTS = ("https://www.w3.org/ns/credentials/v2", "https://www.w3.org/2018/credentials/v1")
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context"
BADGE_TYPES = ("OpenBadgeCredential", "AchievementCredential")
EMAIL_TYPES = {"emailAddress", "email"}
"""Older (issuanceDate-era) credentials write `email` for `emailAddress`."""
NOT_YET_SHOWN = {"Enrolled", "InProgress", "OnHold", "Withdrew"}
JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "true or false"}

T = TypeVar("T")


def _as_list(value: Any) -> Any:
    """JSON-LD may write a one-item set bare: `"type": "Profile"` means `["Profile"]`."""
    return [value] if isinstance(value, str | dict) else value


def _context(items: tuple[Any, ...]) -> tuple[Any, ...]:
    if not items or items[0] not in VC_CONTEXTS:
        raise ValueError(f"the first item must be {VC_CONTEXTS[0]} (or the 1.1 context)")
    if not any(isinstance(item, str) and item.startswith(OB_CONTEXT) for item in items):
        raise ValueError("must include an Open Badges 3.0 context")
    return items


def _moment(value: Any) -> datetime:
    """An ISO 8601 date-time, in UTC when it gives no zone."""
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date-time")
    moment = datetime.fromisoformat(value.strip())
    try:
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError as error:
        raise ValueError(f"{value} is not a plausible date") from error
    if not 1900 <= moment.year <= 2200:
        raise ValueError(f"{value} is not a plausible date")
    return moment


def _number_as_text(value: Any) -> Any:
    """Result values are strings in the spec; issuers often write numbers."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


Many = Annotated[tuple[T, ...], BeforeValidator(_as_list)]
Types = Annotated[tuple[str, ...], BeforeValidator(_as_list)]
Text = Annotated[str, BeforeValidator(_number_as_text)]
Moment = Annotated[datetime, PlainValidator(_moment)]
Context = Annotated[tuple[Any, ...], BeforeValidator(_as_list), AfterValidator(_context)]


class _Node(BaseModel):
    """Only what we read or what makes a credential structurally invalid; `raw` keeps the rest."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    kinds: ClassVar[tuple[str, ...]] = ()
    """The JSON-LD types of which the node's `type` must include one."""

    @field_validator("type", check_fields=False)
    @classmethod
    def _of_kind(cls, types: tuple[str, ...]) -> tuple[str, ...]:
        if not any(kind in types for kind in cls.kinds):
            raise ValueError(f"must include {' or '.join(repr(kind) for kind in cls.kinds)}")
        return types


class IdentifierEntry(_Node):
    kinds = ("IdentifierEntry",)
    type: Types
    identifier: str
    identifierType: str


class Profile(_Node):
    kinds = ("Profile",)
    id: str
    type: Types
    name: str | None = None
    otherIdentifier: Many[IdentifierEntry] = ()
    parentOrg: "Profile | None" = None


class IdentityObject(_Node):
    kinds = ("IdentityObject",)
    type: Types
    identityHash: str
    identityType: str
    hashed: bool


class Alignment(_Node):
    kinds = ("Alignment",)
    type: Types
    targetName: str
    targetCode: str | None = None

    def code(self) -> str:
        """Our competency code: `targetCode`, else `targetName` (CASE items often have no
        code; a skill named the same in our framework then still matches)."""
        return (self.targetCode or "").strip() or self.targetName.strip()


class RubricCriterionLevel(_Node):
    kinds = ("RubricCriterionLevel",)
    id: str
    type: Types
    name: str


class ResultDescription(_Node):
    """How a result reads. `allowedValue` and `rubricCriterionLevel` are ordered low to high."""

    kinds = ("ResultDescription",)
    id: str
    type: Types
    name: str
    resultType: str
    alignment: Many[Alignment] = ()
    allowedValue: Many[Text] = ()
    requiredValue: Text | None = None
    rubricCriterionLevel: Many[RubricCriterionLevel] = ()
    requiredLevel: str | None = None
    valueMin: Text | None = None
    valueMax: Text | None = None


class Result(_Node):
    kinds = ("Result",)
    type: Types
    resultDescription: str | None = None
    value: Text | None = None
    achievedLevel: str | None = None
    status: str | None = None
    alignment: Many[Alignment] = ()


class Achievement(_Node):
    kinds = ("Achievement",)
    id: str
    type: Types
    name: str
    alignment: Many[Alignment] = ()
    resultDescription: Many[ResultDescription] = ()


class AchievementSubject(_Node):
    kinds = ("AchievementSubject",)
    id: str | None = None
    type: Types
    achievement: Achievement
    identifier: Many[IdentityObject] = ()
    result: Many[Result] = ()
    source: Profile | None = None


class Evidence(_Node):
    kinds = ("Evidence",)
    type: Types


class Credential(_Node):
    kinds = BADGE_TYPES
    context: Context = Field(alias="@context")
    id: str | None = None
    type: Types
    issuer: Profile
    validFrom: Moment | None = None
    issuanceDate: Moment | None = None
    validUntil: Moment | None = None
    expirationDate: Moment | None = None
    credentialSubject: AchievementSubject
    evidence: Many[Evidence] = ()


class Scale(NamedTuple):
    """A competency's framework scale, so that a result can become a rating on it."""

    low: float
    proficient: float
    high: float

    def rating(self, ratio: float, passing: float | None) -> float:
        """The rating for a result `ratio` of the way up the issuer's scale: the issuer's
        passing point, when it names one, lands on our proficient level; the ends on ours."""
        if passing is None:
            return self.low + ratio * (self.high - self.low)
        if ratio < passing:
            return self.low + ratio / passing * (self.proficient - self.low)
        above = (ratio - passing) / (1 - passing) if passing < 1 else 0.0
        return self.proficient + above * (self.high - self.proficient)


class Reading(NamedTuple):
    """How far up the issuer's own scale a result is (0 to 1), and its passing point."""

    ratio: float
    passing: float | None
    shown: str


def competency_scales(session: Session) -> dict[str, Scale]:
    """Every competency code's scale, for `BadgesImporter(scales=...)`."""
    rows = session.execute(
        select(
            Competency.code, Framework.scale_min, Framework.proficient_level, Framework.scale_max
        ).join(Framework, Framework.id == Competency.framework_id)
    )
    return {code: Scale(low, proficient, high) for code, low, proficient, high in rows}


def badges_importer(engine: Engine) -> "BadgesImporter":
    """The importer that rates badge results on each competency's own scale, as every import
    into a database should."""
    with Session(engine) as session:
        return BadgesImporter(scales=competency_scales(session))


class BadgesImporter(RecordImporter):
    """Open Badges 3.0 and CLR 2.0. With `scales`, a result that says how well the learner
    did (a rubric level, a grade from an ordered list, a score in a range) becomes a rating;
    otherwise, or without such a result, a badge counts as at least the proficient level."""

    kind: ClassVar[str] = "badges"

    def __init__(self, scales: Mapping[str, Scale] | None = None) -> None:
        self.scales = dict(scales or {})

    def parse(self, stream: BinaryIO, file_name: str) -> Iterator[ParsedRow]:
        documents = _documents(_text(stream, file_name), file_name)
        for number, item in enumerate(_credentials(documents, file_name), start=1):
            yield from self.parse_credential(number, item)

    def parse_credential(self, number: int, item: Any) -> list[ParsedRow]:
        """The rows of one credential, all numbered by its position in the file."""
        if not isinstance(item, dict):
            return [RowRejected(number, item, None, _not_an_object(item))]
        types = _types(item)
        if "EndorsementCredential" in types and not any(kind in types for kind in BADGE_TYPES):
            reason = "an EndorsementCredential vouches for an issuer or a badge, not a learner"
            return [RowSkipped(number, reason)]
        try:
            credential = Credential.model_validate(item)
        except ValidationError as error:
            field, reason = _first_problem(error)
            return [RowRejected(number, item, field, reason)]
        return self._records(number, item, credential)

    def _records(self, number: int, raw: dict[str, Any], credential: Credential) -> list[ParsedRow]:
        subject = credential.credentialSubject
        occurred_at = credential.validFrom or credential.issuanceDate
        if occurred_at is None:
            return [RowRejected(number, raw, "validFrom", "validFrom: Field required")]
        person = _learner(subject)
        if person is None:
            reason = "no usable learner identifier (no plain identifier, no credentialSubject.id)"
            return [RowRejected(number, raw, "credentialSubject.identifier", reason)]
        achievement = subject.achievement
        codes = list(dict.fromkeys(code for line in achievement.alignment if (code := line.code())))
        targets = [(code, None) for code in codes] or [(None, _achievement_key(achievement))]
        if targets == [(None, None)]:
            field = "credentialSubject.achievement.id"
            return [RowRejected(number, raw, field, "achievement with no usable id or name")]
        until = credential.validUntil or credential.expirationDate
        source_id = credential.id or f"sha256:{_digest(raw)}"
        issuer = credential.issuer.name or credential.issuer.id
        rows: list[ParsedRow] = []
        for code, key in targets:
            results = _results_for(code or "", subject)
            statuses = {result.status for result, _ in results if result.status}
            if statuses & NOT_YET_SHOWN:
                shown_as = ", ".join(sorted(statuses))
                rows.append(RowSkipped(number, f"the credential records {code or key} as "
                                               f"{shown_as}"))  # fmt: skip
                continue
            rating, level = self._level(code, results) if code else (None, UNALIGNED)
            rows.append(
                RecordInput(
                    row_number=number, raw=raw, person=person, occurred_at=occurred_at,
                    source_kind=SourceKind.CERTIFICATION, competency=code, achievement=key,
                    rating=rating, passed="Failed" not in statuses, completed=True,
                    valid_until=until.date() if until else None,
                    notes=f"Open Badge '{achievement.name}' issued by {issuer}; "
                          f"signature not verified; {level}",
                    source_id=f"{source_id}|{code or key}", namespace="badge",
                )
            )  # fmt: skip
        return rows

    def _level(
        self, code: str, results: list[tuple[Result, ResultDescription | None]]
    ) -> tuple[float | None, str]:
        """The rating from the first result that reads on the competency's scale, if any."""
        scale = self.scales.get(code)
        for result, description in results:
            reading = _reading(result, description) if description else None
            if reading and scale:
                rating = round(scale.rating(reading.ratio, reading.passing), 2)
                return rating, f"rated {rating:g} from its result '{reading.shown}'"
        return None, "no rateable result, so at least the proficient level"


def _achievement_key(achievement: Achievement) -> str | None:
    """What the unmapped queue holds an unaligned badge under: its achievement's id, else
    its name when the id is too long to be a key."""
    for key in (achievement.id.strip(), achievement.name.strip()):
        if 0 < len(key) <= MAX_QUEUE_KEY:
            return key
    return None


def _learner(subject: AchievementSubject) -> str | None:
    """The learner's key: a plain email first, then any other plain identifier, then the
    subject's id. Hashed identifiers cannot be matched to anyone, so they are passed over."""
    plain = [entry for entry in subject.identifier if not entry.hashed]
    emails = [entry.identityHash for entry in plain if entry.identityType in EMAIL_TYPES]
    for key in (*emails, *(entry.identityHash for entry in plain), subject.id or ""):
        if 0 < len(key.strip()) <= MAX_QUEUE_KEY:
            return key.strip()
    return None


def _results_for(
    code: str, subject: AchievementSubject
) -> list[tuple[Result, ResultDescription | None]]:
    """The results that speak to this competency: aligned to it (directly or through their
    description), or aligned to nothing and so about the whole achievement."""
    descriptions = {item.id: item for item in subject.achievement.resultDescription}
    applicable = []
    for result in subject.result:
        description = descriptions.get(result.resultDescription or "")
        lines = (*result.alignment, *(description.alignment if description else ()))
        if not lines or code in {line.code() for line in lines}:
            applicable.append((result, description))
    return applicable


def _reading(result: Result, description: ResultDescription) -> Reading | None:
    """Where a result sits on its description's scale, when the description gives one."""
    levels = description.rubricCriterionLevel
    if result.achievedLevel and levels:
        ids = [level.id for level in levels]
        ratio = _position(ids, result.achievedLevel)
        if ratio is None:
            return None
        shown = levels[ids.index(result.achievedLevel)].name
        return Reading(ratio, _position(ids, description.requiredLevel), shown)
    if result.value is None:
        return None
    if description.allowedValue:
        values = list(description.allowedValue)
        ratio = _position(values, result.value)
        if ratio is None:
            return None
        return Reading(ratio, _position(values, description.requiredValue), result.value)
    low, high = _number(description.valueMin), _number(description.valueMax)
    if description.resultType == "Percent":
        low, high = (0.0 if low is None else low), (100.0 if high is None else high)
    value = _number(result.value)
    if low is None or high is None or value is None or high <= low:
        return None
    required = _number(description.requiredValue)
    passing = None if required is None else min(max((required - low) / (high - low), 0.0), 1.0)
    return Reading(min(max((value - low) / (high - low), 0.0), 1.0), passing, result.value)


def _position(ordered: list[str], item: str | None) -> float | None:
    if item not in ordered or len(ordered) < 2:
        return None
    return ordered.index(item) / (len(ordered) - 1)


def _number(text: str | None) -> float | None:
    try:
        number = float(text) if text is not None else math.nan
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _digest(raw: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(raw, sort_keys=True).encode()).hexdigest()


def _first_problem(error: ValidationError) -> tuple[str | None, str]:
    first = error.errors()[0]
    path = ""
    for part in first["loc"]:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    message = str(first["msg"]).removeprefix("Value error, ")
    return (path[:MAX_FIELD] or None), (f"{path}: {message}" if path else message)


def _not_an_object(item: Any) -> str:
    if isinstance(item, str) and item.startswith("ey") and item.count(".") == 2:
        return "a JWT-encoded credential (VC-JWT) is not read; give its JSON form"
    name = JSON_TYPES.get(type(item), "null" if item is None else "a number")
    return f"a credential must be a JSON object, not {name}"


def _text(stream: BinaryIO, file_name: str) -> str:
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise FileRefused(
            f"{file_name} is over the {MAX_BYTES // 1024**2} MB limit for Open Badges files."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileRefused(
            f"{file_name} is not UTF-8 text (byte {error.start} cannot be decoded)."
        ) from error


def _documents(text: str, file_name: str) -> list[Any]:
    """The file's JSON values: the one document, or one per line of JSON Lines."""
    try:
        return [_load(text)]
    except json.JSONDecodeError as error:
        lines = _json_lines(text, file_name) if error.msg == "Extra data" else None
        if lines is not None:
            return lines
        raise FileRefused(
            f"{file_name} is not valid JSON ({error.msg} at line {error.lineno}, "
            f"column {error.colno})."
        ) from error
    except (ValueError, RecursionError) as error:
        raise FileRefused(f"{file_name} cannot be read: {_why(error)}.") from error


def _json_lines(text: str, file_name: str) -> list[Any] | None:
    """One JSON value per line, or None when the first line is not JSON on its own."""
    documents = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            documents.append(_load(line))
        except json.JSONDecodeError as error:
            if not documents:
                return None
            raise FileRefused(
                f"{file_name} line {number} is not valid JSON ({error.msg})."
            ) from error
        except (ValueError, RecursionError) as error:
            raise FileRefused(
                f"{file_name} line {number} cannot be read: {_why(error)}."
            ) from error
    return documents


def _why(error: Exception) -> str:
    return "it is nested too deeply" if isinstance(error, RecursionError) else str(error)


def _load(text: str) -> Any:
    """One JSON value that both databases can store exactly as read, for `raw` is kept."""
    value = json.loads(text, parse_float=_finite, parse_int=_integer, parse_constant=_not_a_number)
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ValueError(f"it is nested more than {MAX_DEPTH} levels deep")
        if isinstance(item, dict):
            for key, child in item.items():
                _check_text(key)
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            _check_text(item)
    return value


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"the number {text[:40]} is too large")
    return number


def _integer(text: str) -> int:
    if len(text) > MAX_DIGITS:
        raise ValueError(f"a number has more than {MAX_DIGITS} digits")
    return int(text)


def _not_a_number(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def _check_text(text: str) -> None:
    """PostgreSQL cannot store NUL in text or JSON; no database can store lone surrogates."""
    if "\x00" in text:
        raise ValueError("it holds a NUL character (\\u0000), which cannot be stored")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError(
            f"it holds an unpaired surrogate ({text[error.start]!r}), which is not Unicode text"
        ) from error


def _credentials(documents: list[Any], file_name: str) -> Iterator[Any]:
    """Each credential in order: a document is one credential, a CLR, or a list of either."""
    for document in documents:
        items = document if isinstance(document, list) else [document]
        if not any(_is_clr(item) or _is_credential(item) for item in items):
            raise FileRefused(
                f"{file_name} is not an OpenBadgeCredential, a JSON list of them or a "
                "ClrCredential."
            )
        for item in items:
            if _is_clr(item):
                yield from _clr_credentials(item, file_name)
            else:
                yield item


def _types(item: Any) -> list[Any]:
    types = _as_list(item.get("type")) if isinstance(item, dict) else None
    return types if isinstance(types, list) else []


def _is_clr(item: Any) -> bool:
    return "ClrCredential" in _types(item)


def _is_credential(item: Any) -> bool:
    return isinstance(item, dict) and (
        "credentialSubject" in item or "VerifiableCredential" in _types(item)
    )


def _clr_credentials(clr: dict[str, Any], file_name: str) -> list[Any]:
    subject = clr.get("credentialSubject")
    inner = _as_list(subject.get("verifiableCredential")) if isinstance(subject, dict) else None
    if not isinstance(inner, list) or not inner:
        raise FileRefused(
            f"{file_name} holds a ClrCredential without credentialSubject.verifiableCredential."
        )
    return inner
