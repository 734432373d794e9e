"""A tiny organisation for a learner's own writes and reads, built by hand on any backend.

Scale 0-5 (proficient 3), minimum support 0.5, half-life 365 days; an attestation weighs 0.8
when fresh, a self report (and so a pending record) 0.3.

Competencies: A and B (technical), V (values). Job family F: level 1 A >= 1; level 2 A >= 2,
B >= 2, V >= 2. Job family G: level 1 B >= 3.
People: M manages P; P manages X; O reports to no one and is nobody's manager. P holds a fresh
attestation A = 2 from M and nothing else, so P has attained F level 1 and, of level 2, meets
A only. Activities: "Course A" (formal course, A to 3), "Project AB" (informal project, A and B
to 2).
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from data_model.access import Viewer, viewer_for_person
from data_model.models import (
    Activity,
    ActivityCompetency,
    ActivityKind,
    Competency,
    CompetencyCategory,
    Framework,
    JobFamily,
    LearningRecord,
    LevelRequirement,
    PathwayLevel,
    Person,
    SourceKind,
    Verification,
)
from data_model.rollup import recompute_all

LABELS = {"0": "Not yet", "1": "Awareness", "2": "Foundation", "3": "Practitioner",
          "4": "Advanced", "5": "Expert"}  # fmt: skip


@dataclass(frozen=True)
class Org:
    people: dict[str, int]
    competencies: dict[str, int]
    families: dict[str, int]
    activities: dict[str, int]

    def viewer(self, engine: Engine, key: str) -> Viewer:
        with Session(engine) as session:
            person = session.get(Person, self.people[key])
            assert person is not None
            return viewer_for_person(session, person)


def build_org(engine: Engine) -> Org:
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        framework = Framework(code="T", name="Tiny framework", scale_min=0, scale_max=5,
                              proficient_level=3, scale_labels=LABELS)  # fmt: skip
        a, b, v = (
            Competency(framework=framework, code=code, name=name, category=category)
            for code, name, category in (
                ("A", "Analysis", CompetencyCategory.TECHNICAL),
                ("B", "Building", CompetencyCategory.TECHNICAL),
                ("V", "Valuing others", CompetencyCategory.VALUES),
            )
        )
        f = JobFamily(framework=framework, code="F", name="Family F")
        g = JobFamily(framework=framework, code="G", name="Family G")
        for family, rank, requirements in (
            (f, 1, [(a, 1)]),
            (f, 2, [(a, 2), (b, 2), (v, 2)]),
            (g, 1, [(b, 3)]),
        ):
            level = PathwayLevel(job_family=family, rank=rank, title=f"{family.code} level {rank}")
            level.requirements = [
                LevelRequirement(competency=comp, required_level=required)
                for comp, required in requirements
            ]
        session.add_all([framework, f, g])
        session.flush()
        people: dict[str, Person] = {}
        for key, manager in (("M", None), ("P", "M"), ("X", "P"), ("O", None)):
            person = Person(
                external_id=key, name=f"Person {key}", email=f"{key.lower()}@example.com",
                job_family_id=f.id, title_level=1,
                manager_id=people[manager].id if manager else None,
            )  # fmt: skip
            session.add(person)
            session.flush()
            people[key] = person
        activities = {}
        for title, kind, formal, tags in (
            ("Course A", ActivityKind.COURSE, True, [(a, 3)]),
            ("Project AB", ActivityKind.PROJECT, False, [(a, 2), (b, 2)]),
        ):
            activity = Activity(external_id=title, title=title, kind=kind, formal=formal, hours=3)
            activity.tags = [ActivityCompetency(competency=c, target_level=t) for c, t in tags]
            session.add(activity)
            activities[title] = activity
        session.flush()
        session.add(
            LearningRecord(
                dedupe_key="p-a-2", person_id=people["P"].id, competency_id=a.id, rating=2.0,
                occurred_at=now - timedelta(days=1), source_kind=SourceKind.ATTESTATION,
                verification=Verification.VERIFIED, verified_by_id=people["M"].id,
            )
        )  # fmt: skip
        org = Org(
            people={key: person.id for key, person in people.items()},
            competencies={"A": a.id, "B": b.id, "V": v.id},
            families={"F": f.id, "G": g.id},
            activities={title: activity.id for title, activity in activities.items()},
        )
    recompute_all(engine)
    return org
