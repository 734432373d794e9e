"""Who and what a record names: people, activities and competencies by every key they go by."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_model.models import (
    Activity,
    ActivityCompetency,
    ActivityKind,
    Competency,
    KeyAlias,
    Person,
)


@dataclass
class Lookups:
    """In-memory maps from outside keys to ids, loaded once per import."""

    people: dict[str, int]
    activities: dict[str, int]
    activity_kinds: dict[int, ActivityKind]
    competencies: dict[str, int]
    tags: dict[int, list[int]]
    """The competencies each activity is tagged with."""
    achievements: dict[str, int]
    """Open Badge achievements an L&D admin mapped to a competency."""

    @classmethod
    def load(cls, session: Session) -> "Lookups":
        people: dict[str, int] = {}
        for person_id, external_id, email in session.execute(
            select(Person.id, Person.external_id, func.lower(Person.email))
        ):
            people[external_id] = person_id
            people[email] = person_id
        activities: dict[str, int] = {}
        achievements: dict[str, int] = {}
        activity_kinds: dict[int, ActivityKind] = {}
        for activity_id, external_id, iri, kind in session.execute(
            select(Activity.id, Activity.external_id, Activity.xapi_iri, Activity.kind)
        ):
            activities[external_id] = activity_id
            activity_kinds[activity_id] = kind
            if iri:
                activities[iri] = activity_id
        for kind, key, target in session.execute(
            select(KeyAlias.kind, KeyAlias.key, KeyAlias.target_id)
        ):
            if kind == "person":
                people[_person_key(key)] = target
            elif kind == "achievement":
                achievements[key] = target
            else:
                activities[key] = target
        competencies = dict(session.execute(select(Competency.code, Competency.id)).all())
        tags: dict[int, list[int]] = {}
        for activity_id, competency_id in session.execute(
            select(ActivityCompetency.activity_id, ActivityCompetency.competency_id)
        ):
            tags.setdefault(activity_id, []).append(competency_id)
        return cls(people, activities, activity_kinds, competencies, tags, achievements)

    def person(self, key: str | None) -> int | None:
        if not key:
            return None
        return self.people.get(key.strip()) or self.people.get(_person_key(key))

    def activity(self, key: str | None) -> int | None:
        return self.activities.get(key.strip()) if key else None


def _person_key(key: str) -> str:
    """Emails match whatever their case, and with or without xAPI's `mailto:`."""
    key = key.strip().lower()
    return key.removeprefix("mailto:")
