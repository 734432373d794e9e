"""What a learner records about themselves: informal learning to be verified, and self-ratings.

Informal learning (a project, mentoring, a talk given, a catalogue activity done outside the
LMS) becomes learning records marked pending, with the person asked to vouch for it as the
verifier. The mastery engine weighs a pending record as a self report (trust 0.3 by default)
until the verifier accepts it, and drops it if they decline; a self-rating is a self report
from the start. Either way a lone record of this kind cannot meet a requirement on its own (its
weight stays under the minimum support), which is the point: it counts for little until someone
else backs it.

The roster can move on while a request waits: the learner moves team, or the verifier moves
or leaves, and the request is stranded (no one may answer it; see `queries.stranded`). The
learner then re-sends it to someone they report to now (`reassign_verifier`).

Each write is one transaction's worth of work in the caller's session: validate, insert,
refresh mastery for the pairs touched, add the audit entry.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Annotated

import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from data_model.access import NotPermitted, Viewer
from data_model.audit import record_audit
from data_model.database import serialise_writers
from data_model.models import (
    SOURCE_OF_ACTIVITY,
    Activity,
    ActivityCompetency,
    ActivityKind,
    Competency,
    Framework,
    LearningRecord,
    Person,
    SourceKind,
    Verification,
)
from data_model.queries.evidence import read_frame
from data_model.rollup import refresh_pairs

MAX_TEXT = 2000
MAX_TITLE = 300
INFORMAL_KINDS = (
    ActivityKind.PROJECT,
    ActivityKind.STRETCH_ASSIGNMENT,
    ActivityKind.MENTORING,
    ActivityKind.PORTFOLIO,
    ActivityKind.PEER_REVIEW,
    ActivityKind.READING,
    ActivityKind.CONFERENCE,
    ActivityKind.COURSE,
    ActivityKind.OTHER,
)
"""The kinds free-text learning may be; each counts as its usual source once verified."""


class InvalidEntry(ValueError):
    """The entry cannot be recorded as given; the message says what to change."""


Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TEXT)]


class InformalLearning(BaseModel):
    """One piece of informal learning as the form gives it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    activity_id: int | None = None
    """A catalogue activity; or else a free-text `title`."""
    title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TITLE)] = ""
    kind: ActivityKind = ActivityKind.PROJECT
    """For free text: what sort of learning it was."""
    competency_ids: tuple[int, ...] = ()
    """For a catalogue activity, some of its tags (none: all of them); for free text, required."""
    level: float | None = Field(default=None, ge=0)
    """For free text: the level the learner showed, on the competencies' scale."""
    occurred_on: date
    link: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2048)] = ""
    note: Text = ""
    verifier_id: int

    @field_validator("occurred_on")
    @classmethod
    def _not_in_the_future(cls, value: date) -> date:
        if value > datetime.now(UTC).date():
            raise ValueError("The date cannot be in the future.")
        if value.year < 1900:
            raise ValueError("Give the date the learning happened.")
        return value

    @field_validator("link")
    @classmethod
    def _web_link(cls, value: str) -> str:
        if value and not value.lower().startswith(("https://", "http://")):
            raise ValueError("A link starts with https:// or http://.")
        return value


@dataclass(frozen=True)
class Logged:
    record_ids: tuple[int, ...]
    competency_ids: tuple[int, ...]
    verifier_id: int


def _first_message(error: ValidationError) -> str:
    problem = error.errors()[0]
    message = str(problem["msg"]).removeprefix("Value error, ")
    field = ".".join(str(part) for part in problem["loc"])
    return message if message[:1].isupper() else f"{field}: {message}"


def _own(viewer: Viewer, person_id: int) -> None:
    """Only the learner records their own learning or rates themselves."""
    if viewer.person_id is None or viewer.person_id != person_id:
        raise NotPermitted("person", person_id)


def verifier_options(session: Session, viewer: Viewer, person_id: int) -> pd.DataFrame:
    """Who the learner may ask to verify: the active people they report to, directly or
    further up, nearest first. Columns: person_id, name, email, distance (1 = manager)."""
    _own(viewer, person_id)
    chain = (
        select(Person.manager_id.label("id"), select(1).scalar_subquery().label("distance"))
        .where(Person.id == person_id, Person.manager_id.is_not(None))
        .cte("above", recursive=True)
    )
    up = select(Person.manager_id, chain.c.distance + 1).join(chain, Person.id == chain.c.id)
    chain = chain.union_all(up.where(Person.manager_id.is_not(None), chain.c.distance < 50))
    statement = (
        select(Person.id.label("person_id"), Person.name, Person.email, chain.c.distance)
        .join(chain, chain.c.id == Person.id)
        .where(Person.active.is_(True), Person.id != person_id)
        .order_by(chain.c.distance)
    )
    return read_frame(session, statement).drop_duplicates("person_id").reset_index(drop=True)


def competency_options(session: Session) -> pd.DataFrame:
    """Every competency with its scale, by category and name. The framework is the
    organisation's structure, not anyone's data. Columns: competency_id, code, name, category,
    scale_min, scale_max."""
    frame = read_frame(
        session,
        select(
            Competency.id.label("competency_id"),
            Competency.code,
            Competency.name,
            Competency.category,
            Framework.scale_min,
            Framework.scale_max,
        )
        .join(Framework, Framework.id == Competency.framework_id)
        .order_by(Competency.category, Competency.name),
    )
    frame["category"] = frame["category"].astype(str)
    return frame


def activity_tags(session: Session) -> pd.DataFrame:
    """Every catalogue activity with its tags: activity_id, title, kind, formal, competency_id,
    target_level (one row per tag; activities without tags are left out)."""
    frame = read_frame(
        session,
        select(
            Activity.id.label("activity_id"),
            Activity.title,
            Activity.kind,
            Activity.formal,
            ActivityCompetency.competency_id,
            ActivityCompetency.target_level,
        )
        .join(ActivityCompetency, ActivityCompetency.activity_id == Activity.id)
        .order_by(Activity.title, Activity.id),
    )
    frame["kind"] = frame["kind"].astype(str)
    return frame


def _start_of(day: date) -> datetime:
    """Learning is dated at the start of its day (UTC), so it counts from that day on."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def _catalogue_records(session: Session, entry: InformalLearning) -> tuple[SourceKind, list[dict]]:
    activity = session.get(Activity, entry.activity_id)
    if activity is None:
        raise InvalidEntry("That activity is not in the catalogue.")
    tags = set(
        session.scalars(
            select(ActivityCompetency.competency_id).where(
                ActivityCompetency.activity_id == activity.id
            )
        )
    )
    chosen = set(entry.competency_ids) or tags
    if not chosen:
        raise InvalidEntry(
            f"{activity.title} is not tagged to any competency: log it as free text instead."
        )
    if chosen - tags:
        raise InvalidEntry(
            f"{activity.title} does not teach every competency chosen: choose among its own, "
            "or log what else you learnt as free text."
        )
    rows = [{"activity_id": activity.id, "competency_id": c, "completed": True} for c in chosen]
    return SOURCE_OF_ACTIVITY[activity.kind], rows


def _free_text_records(session: Session, entry: InformalLearning) -> tuple[SourceKind, list[dict]]:
    if not entry.title:
        raise InvalidEntry("Choose an activity from the catalogue, or describe what you did.")
    if entry.kind not in INFORMAL_KINDS:
        raise InvalidEntry("Choose what sort of learning it was.")
    if not entry.competency_ids:
        raise InvalidEntry("Choose at least one competency this learning shows.")
    if entry.level is None:
        raise InvalidEntry("Say what level of the competency you showed.")
    scales = session.execute(
        select(Competency.id, Framework.scale_min, Framework.scale_max)
        .join(Framework, Framework.id == Competency.framework_id)
        .where(Competency.id.in_(entry.competency_ids))
    ).all()
    if len(scales) != len(set(entry.competency_ids)):
        raise InvalidEntry("One of the competencies is not in any loaded framework.")
    for _, low, high in scales:
        if not low <= entry.level <= high:
            raise InvalidEntry(f"Choose a level from {low} to {high}.")
    rows = [
        {"competency_id": c, "rating": float(entry.level), "completed": True}
        for c in sorted(set(entry.competency_ids))
    ]
    return SOURCE_OF_ACTIVITY[entry.kind], rows


def log_informal_learning(
    session: Session,
    viewer: Viewer,
    person_id: int,
    entry: InformalLearning | dict,
    now: datetime | None = None,
) -> Logged:
    """Record the viewer's own informal learning, pending until `verifier_id` vouches for it.

    One record per competency, so the verifier can accept what they saw and decline the rest.
    The verifier must be someone the learner reports to (see `verifier_options`).
    """
    _own(viewer, person_id)
    try:
        entry = entry if isinstance(entry, InformalLearning) else InformalLearning(**entry)
    except ValidationError as error:
        raise InvalidEntry(_first_message(error)) from error
    verifiers = verifier_options(session, viewer, person_id)
    if entry.verifier_id not in set(verifiers["person_id"]):
        raise InvalidEntry("Ask someone you report to, directly or further up, to verify it.")
    if entry.activity_id is not None:
        source, rows = _catalogue_records(session, entry)
    else:
        source, rows = _free_text_records(session, entry)
    serialise_writers(session)
    now = now or datetime.now(UTC)
    raw = {
        "entered_by": viewer.email,
        "informal": True,
        "activity_id": entry.activity_id,
        "title": entry.title,
        "kind": str(entry.kind) if entry.activity_id is None else None,
        "level": entry.level,
        "link": entry.link or None,
        "note": entry.note,
        "verifier_id": entry.verifier_id,
    }
    notes = " · ".join(part for part in (entry.title, entry.note, entry.link) if part)
    records = [
        LearningRecord(
            dedupe_key=f"informal:{uuid.uuid4().hex}",
            person_id=person_id,
            occurred_at=_start_of(entry.occurred_on),
            source_kind=source,
            verification=Verification.PENDING,
            verified_by_id=entry.verifier_id,
            notes=notes,
            raw=raw,
            **row,
        )
        for row in rows
    ]
    session.add_all(records)
    session.flush()
    pairs = [(person_id, row["competency_id"]) for row in rows]
    refresh_pairs(session, pairs, as_of=now)
    ids = tuple(record.id for record in records)
    competencies = tuple(row["competency_id"] for row in rows)
    record_audit(
        session,
        viewer,
        "informal_learning_logged",
        "learning_record",
        ids[0],
        person_id=person_id,
        record_ids=list(ids),
        competency_ids=list(competencies),
        verifier_id=entry.verifier_id,
        activity_id=entry.activity_id,
    )
    return Logged(ids, competencies, entry.verifier_id)


@dataclass(frozen=True)
class Reassigned:
    record_id: int
    from_verifier_id: int | None
    to_verifier_id: int


def reassign_verifier(
    session: Session, viewer: Viewer, record_id: int, verifier_id: int
) -> Reassigned:
    """Send one of the viewer's own pending records to someone else to verify.

    For a request the roster stranded (the learner or their verifier moved, or the verifier
    left: `queries.stranded`), or one the learner would rather someone else up their line
    answered. The rule is the one for logging: someone the learner reports to today. The
    record stays pending, so its weight and mastery do not change; the audit entry keeps who
    was asked before.
    """
    serialise_writers(session)
    record = session.get(LearningRecord, record_id)
    if record is None or viewer.person_id is None or record.person_id != viewer.person_id:
        raise NotPermitted("learning_record", record_id)
    if record.verification is not Verification.PENDING:
        raise InvalidEntry("Only learning still awaiting verification can be sent to someone else.")
    verifiers = verifier_options(session, viewer, record.person_id)
    if verifier_id not in set(verifiers["person_id"]):
        raise InvalidEntry("Ask someone you report to, directly or further up, to verify it.")
    if verifier_id == record.verified_by_id:
        raise InvalidEntry("They were already asked: choose someone else, or wait for them.")
    previous = record.verified_by_id
    record.verified_by_id = verifier_id
    record_audit(
        session,
        viewer,
        "verification_reassigned",
        "learning_record",
        record.id,
        person_id=record.person_id,
        from_verifier_id=previous,
        to_verifier_id=verifier_id,
    )
    return Reassigned(record.id, previous, verifier_id)


class SelfRating(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    competency_id: int
    rating: float
    note: Text = ""


@dataclass(frozen=True)
class Rated:
    record_id: int
    competency_id: int
    rating: float


def rate_myself(
    session: Session,
    viewer: Viewer,
    person_id: int,
    rating: SelfRating | dict,
    now: datetime | None = None,
) -> Rated:
    """Record the viewer's rating of themselves on one competency: a self report, weighed at
    the self-report trust (0.3 by default), so it shifts mastery a little and meets nothing
    alone."""
    _own(viewer, person_id)
    try:
        rating = rating if isinstance(rating, SelfRating) else SelfRating(**rating)
    except ValidationError as error:
        raise InvalidEntry(_first_message(error)) from error
    scale = session.execute(
        select(Framework.scale_min, Framework.scale_max)
        .join(Competency, Competency.framework_id == Framework.id)
        .where(Competency.id == rating.competency_id)
    ).first()
    if scale is None:
        raise InvalidEntry("That competency is not in any loaded framework.")
    if not scale[0] <= rating.rating <= scale[1]:
        raise InvalidEntry(f"Choose a rating from {scale[0]} to {scale[1]}.")
    serialise_writers(session)
    now = now or datetime.now(UTC)
    record = LearningRecord(
        dedupe_key=f"self:{uuid.uuid4().hex}",
        person_id=person_id,
        competency_id=rating.competency_id,
        occurred_at=now,
        rating=float(rating.rating),
        source_kind=SourceKind.SELF_REPORT,
        verification=Verification.NOT_NEEDED,
        notes=rating.note,
        raw={"entered_by": viewer.email, "rating": float(rating.rating), "note": rating.note},
    )
    session.add(record)
    session.flush()
    refresh_pairs(session, [(person_id, rating.competency_id)], as_of=now)
    record_audit(
        session,
        viewer,
        "self_rating",
        "learning_record",
        record.id,
        person_id=person_id,
        competency_id=rating.competency_id,
        rating=float(rating.rating),
    )
    return Rated(record.id, rating.competency_id, float(rating.rating))
