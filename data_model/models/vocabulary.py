"""The closed vocabularies of the domain, stored as checked strings on both backends."""

from enum import StrEnum

from sqlalchemy import Enum


class CompetencyCategory(StrEnum):
    TECHNICAL = "technical"
    PROFESSIONAL = "professional"
    VALUES = "values"


class ActivityKind(StrEnum):
    COURSE = "course"
    BOOTCAMP = "bootcamp"
    CERTIFICATION = "certification"
    ASSESSMENT = "assessment"
    PROJECT = "project"
    MENTORING = "mentoring"
    STRETCH_ASSIGNMENT = "stretch_assignment"
    PORTFOLIO = "portfolio"
    PEER_REVIEW = "peer_review"
    READING = "reading"
    CONFERENCE = "conference"
    OTHER = "other"


class Scoring(StrEnum):
    """How a scored activity is read: a pass mark, or the grade itself."""

    PASS = "pass"  # noqa: S105 (a scoring rule, not a password)
    GRADED = "graded"


class SourceKind(StrEnum):
    """Where a learning record's evidence comes from; each kind has its own trust weight."""

    ASSESSMENT = "assessment"
    CERTIFICATION = "certification"
    ATTESTATION = "attestation"
    PROJECT = "project"
    PORTFOLIO = "portfolio"
    COURSE = "course"
    MENTORING = "mentoring"
    PEER_REVIEW = "peer_review"
    SELF_REPORT = "self_report"


SOURCE_OF_ACTIVITY: dict[ActivityKind, SourceKind] = {
    ActivityKind.COURSE: SourceKind.COURSE,
    ActivityKind.BOOTCAMP: SourceKind.COURSE,
    ActivityKind.READING: SourceKind.COURSE,
    ActivityKind.CONFERENCE: SourceKind.COURSE,
    ActivityKind.OTHER: SourceKind.COURSE,
    ActivityKind.MENTORING: SourceKind.MENTORING,
    ActivityKind.ASSESSMENT: SourceKind.ASSESSMENT,
    ActivityKind.CERTIFICATION: SourceKind.CERTIFICATION,
    ActivityKind.PROJECT: SourceKind.PROJECT,
    ActivityKind.STRETCH_ASSIGNMENT: SourceKind.PROJECT,
    ActivityKind.PORTFOLIO: SourceKind.PORTFOLIO,
    ActivityKind.PEER_REVIEW: SourceKind.PEER_REVIEW,
}
"""The source a record of each activity kind counts as, when the file does not say."""


class Verification(StrEnum):
    """Whether someone other than the learner has vouched for a record."""

    NOT_NEEDED = "not_needed"
    PENDING = "pending"
    VERIFIED = "verified"
    DECLINED = "declined"


class BatchStatus(StrEnum):
    RUNNING = "running"
    APPLIED = "applied"
    FAILED = "failed"
    UNDONE = "undone"


class Role(StrEnum):
    LD_ADMIN = "ld_admin"


def checked_enum(enum: type[StrEnum], name: str) -> Enum:
    """A VARCHAR with a named CHECK constraint: the same schema on SQLite and PostgreSQL."""
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
