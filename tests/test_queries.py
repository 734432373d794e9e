"""The app's read models, on a small organisation built by hand, on every backend.

The organisation (ids in creation order):
    Ada  (L&D admin, Senior engineer) manages Morgan and Fay
    Morgan (Senior engineer) manages Ben and Cleo, and Dan who has left
    Fay  (Senior engineer) manages Gus (Engineering, but no title level)
    Eve  (no job family, no manager; also granted L&D admin)
Only Ben and Cleo have learning records.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from data_model.access import NotPermitted, Viewer, viewer_for_person
from data_model.database import session_factory
from data_model.models import (
    Activity,
    ActivityCompetency,
    ActivityKind,
    Competency,
    CompetencyCategory,
    Framework,
    JobFamily,
    LearningRecord,
    PathwayLevel,
    Person,
    Role,
    RoleGrant,
    SourceKind,
    Verification,
)
from data_model.queries import (
    EvidenceTotals,
    OrganisationTotals,
    PersonSummary,
    competency_evidence,
    demo_personas,
    evidence_totals,
    organisation_headcount,
    organisation_totals,
    person_summary,
    team_overview,
)

NOW = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)


def days_ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


@dataclass
class Organisation:
    session: Session
    people: dict[str, Person]

    def viewer(self, name: str) -> Viewer:
        return viewer_for_person(self.session, self.people[name])

    def id(self, name: str) -> int:
        return self.people[name].id


def person(name: str, **fields: object) -> Person:
    return Person(external_id=f"E-{name}", name=name, email=f"{name.lower()}@example.org", **fields)


def record(person: Person, key: str, when: datetime, **fields: object) -> LearningRecord:
    fields.setdefault("source_kind", SourceKind.COURSE)
    return LearningRecord(dedupe_key=key, person_id=person.id, occurred_at=when, **fields)


@pytest.fixture
def org(engine: Engine) -> Iterator[Organisation]:
    session = session_factory(engine)()
    framework = Framework(code="core", name="Core", scale_min=0, scale_max=5, proficient_level=3)
    python = Competency(
        framework=framework, code="T1", name="Python", category=CompetencyCategory.TECHNICAL
    )
    talking = Competency(
        framework=framework,
        code="P1",
        name="Communication",
        category=CompetencyCategory.PROFESSIONAL,
    )
    integrity = Competency(
        framework=framework, code="V1", name="Integrity", category=CompetencyCategory.VALUES
    )
    engineering = JobFamily(framework=framework, code="eng", name="Engineering")
    engineering.levels = [
        PathwayLevel(rank=1, title="Engineer"),
        PathwayLevel(rank=2, title="Senior engineer"),
    ]
    course = Activity(
        external_id="A1", title="Python course", kind=ActivityKind.COURSE, formal=True
    )
    course.tags = [
        ActivityCompetency(competency=python, target_level=2),
        ActivityCompetency(competency=talking, target_level=1),
    ]
    mentoring = Activity(
        external_id="A2", title="Mentoring", kind=ActivityKind.MENTORING, formal=False
    )
    mentoring.tags = [ActivityCompetency(competency=talking, target_level=3)]
    session.add_all([framework, python, talking, integrity, engineering, course, mentoring])
    session.flush()

    senior = {"job_family_id": engineering.id, "title_level": 2}
    junior = {"job_family_id": engineering.id, "title_level": 1}
    people: dict[str, Person] = {}
    people["Ada"] = person("Ada", department="Learning", location="Leeds", **senior)
    people["Morgan"] = person("Morgan", manager=people["Ada"], department="Platform", **senior)
    people["Fay"] = person("Fay", manager=people["Ada"], **senior)
    people["Ben"] = person("Ben", manager=people["Morgan"], department="Platform", **junior)
    people["Cleo"] = person(
        "Cleo", manager=people["Morgan"], department="Platform", location="York", **junior
    )
    people["Dan"] = person("Dan", manager=people["Morgan"], active=False)
    people["Gus"] = person("Gus", manager=people["Fay"], job_family_id=engineering.id)
    people["Eve"] = person("Eve")
    for one in people.values():
        session.add(one)
        session.flush()
    session.add_all(
        [
            RoleGrant(email="ada@example.org", role=Role.LD_ADMIN, granted_by="test"),
            RoleGrant(email="EVE@example.org", role=Role.LD_ADMIN, granted_by="test"),
        ]
    )
    cleo, ben = people["Cleo"], people["Ben"]
    session.add_all(
        [
            record(cleo, "c1", days_ago(10), activity_id=course.id, completed=True),
            record(cleo, "c2", days_ago(200), activity_id=mentoring.id, completed=False),
            record(
                cleo,
                "c3",
                days_ago(5),
                competency_id=integrity.id,
                rating=2.5,
                source_kind=SourceKind.ATTESTATION,
                verification=Verification.PENDING,
                verified_by_id=people["Morgan"].id,
            ),
            record(
                cleo,
                "c4",
                days_ago(1),
                competency_id=python.id,
                rating=4.0,
                source_kind=SourceKind.SELF_REPORT,
                verification=Verification.DECLINED,
            ),
            record(
                cleo,
                "c5",
                days_ago(20),
                activity_id=course.id,
                passed=True,
                verification=Verification.VERIFIED,
            ),
            record(ben, "b1", days_ago(400), activity_id=mentoring.id, completed=True),
        ]
    )
    session.commit()
    yield Organisation(session, people)
    session.close()


def test_person_summary_names_family_level_and_manager(org: Organisation) -> None:
    summary = person_summary(org.session, org.viewer("Morgan"), org.id("Cleo"))

    assert summary == PersonSummary(
        person_id=org.id("Cleo"),
        name="Cleo",
        email="cleo@example.org",
        job_family="Engineering",
        title_level=1,
        level_title="Engineer",
        department="Platform",
        location="York",
        manager_name="Morgan",
    )


def test_person_summary_without_a_level_or_a_family(org: Organisation) -> None:
    gus = person_summary(org.session, org.viewer("Ada"), org.id("Gus"))
    eve = person_summary(org.session, org.viewer("Ada"), org.id("Eve"))

    assert (gus.job_family, gus.title_level, gus.level_title, gus.manager_name) == (
        "Engineering",
        None,
        None,
        "Fay",
    )
    assert (eve.job_family, eve.level_title, eve.manager_name) == (None, None, None)


def test_competency_evidence_counts_levels_and_leaves_out_declined(org: Organisation) -> None:
    evidence = competency_evidence(org.session, org.viewer("Cleo"), org.id("Cleo"))

    rows = evidence.set_index("code")
    assert list(evidence["code"]) == ["T1", "P1", "V1"]
    assert rows.loc["T1", ["competency", "category"]].tolist() == ["Python", "technical"]
    assert rows.loc["P1", "category"] == "professional"
    assert rows.loc["V1", "category"] == "values"
    assert rows["records"].to_dict() == {"P1": 3, "T1": 2, "V1": 1}
    assert rows["formal"].to_dict() == {"P1": 2, "T1": 2, "V1": 0}
    assert rows["informal"].to_dict() == {"P1": 1, "T1": 0, "V1": 1}
    # Mentoring was not completed, so P1 shows only the course's level; the declined
    # self-rating of 4 on T1 does not count.
    assert rows["highest_level"].to_dict() == {"P1": 1.0, "T1": 2.0, "V1": 2.5}
    assert rows["pending_verification"].to_dict() == {"P1": 0, "T1": 0, "V1": 1}
    last = {code: pd.Timestamp(when) for code, when in rows["last_evidence"].items()}
    assert last == {
        "P1": pd.Timestamp(days_ago(10)),
        "T1": pd.Timestamp(days_ago(10)),
        "V1": pd.Timestamp(days_ago(5)),
    }
    assert set(rows["scale_max"]) == {5}


def test_competency_evidence_is_empty_for_someone_without_records(org: Organisation) -> None:
    evidence = competency_evidence(org.session, org.viewer("Ada"), org.id("Eve"))

    assert evidence.empty
    assert "highest_level" in evidence.columns


def test_evidence_totals_count_records_not_competencies(org: Organisation) -> None:
    totals = evidence_totals(org.session, org.viewer("Cleo"), org.id("Cleo"))

    assert totals == EvidenceTotals(records=4, last_evidence=days_ago(5), pending_verification=1)
    assert evidence_totals(org.session, org.viewer("Ada"), org.id("Eve")) == EvidenceTotals(
        records=0, last_evidence=None, pending_verification=0
    )


def test_team_overview_lists_active_direct_reports(org: Organisation) -> None:
    team = team_overview(org.session, org.viewer("Morgan"), org.id("Morgan"), now=NOW)

    assert team["name"].tolist() == ["Ben", "Cleo"]
    rows = team.set_index("name")
    assert rows.loc["Cleo", ["email", "title", "job_family", "department"]].tolist() == [
        "cleo@example.org",
        "Engineer",
        "Engineering",
        "Platform",
    ]
    assert rows["records_last_365_days"].to_dict() == {"Ben": 0, "Cleo": 4}
    assert rows["pending_verification"].to_dict() == {"Ben": 0, "Cleo": 1}
    assert rows["evidence_last_180_days"].to_dict() == {"Ben": False, "Cleo": True}
    assert pd.Timestamp(rows.loc["Cleo", "last_evidence"]) == pd.Timestamp(days_ago(5))
    assert pd.Timestamp(rows.loc["Ben", "last_evidence"]) == pd.Timestamp(days_ago(400))


def test_team_overview_of_a_manager_with_a_report_without_records(org: Organisation) -> None:
    team = team_overview(org.session, org.viewer("Ada"), org.id("Fay"), now=NOW)

    assert team["name"].tolist() == ["Gus"]
    assert team.loc[0, "records_last_365_days"] == 0
    assert pd.isna(team.loc[0, "last_evidence"])
    assert pd.isna(team.loc[0, "title"])
    assert not team.loc[0, "evidence_last_180_days"]


def headcounts(frame: pd.DataFrame) -> dict[tuple[str, str], int]:
    return {(row.job_family, row.level): row.headcount for row in frame.itertuples()}


def test_organisation_headcount_for_everyone(org: Organisation) -> None:
    frame = organisation_headcount(org.session, org.viewer("Ada"))

    assert headcounts(frame) == {
        ("Engineering", "Engineer"): 2,
        ("Engineering", "Senior engineer"): 3,
        ("Engineering", "No pathway level"): 1,
        ("No job family", "No pathway level"): 1,
    }
    assert frame["rank"].tolist()[:2] == [1, 2]
    assert frame["rank"].isna().tolist() == [False, False, True, True]


def test_organisation_headcount_of_a_manager_covers_only_their_chain(
    org: Organisation,
) -> None:
    frame = organisation_headcount(org.session, org.viewer("Morgan"))

    assert headcounts(frame) == {
        ("Engineering", "Engineer"): 2,
        ("Engineering", "Senior engineer"): 1,
    }


def test_organisation_headcount_of_a_learner_is_themselves(org: Organisation) -> None:
    frame = organisation_headcount(org.session, org.viewer("Cleo"))

    assert headcounts(frame) == {
        ("Engineering", "Engineer"): 1,
        ("Engineering", "Senior engineer"): 0,
    }


def test_organisation_totals(org: Organisation) -> None:
    assert organisation_totals(org.session, org.viewer("Ada"), now=NOW) == OrganisationTotals(
        people=7, managers=3, learning_records=5, records_last_90_days=3, job_families=1
    )
    assert organisation_totals(org.session, org.viewer("Morgan"), now=NOW) == OrganisationTotals(
        people=3, managers=1, learning_records=5, records_last_90_days=3, job_families=1
    )
    assert organisation_totals(org.session, org.viewer("Ben"), now=NOW) == OrganisationTotals(
        people=1, managers=0, learning_records=1, records_last_90_days=0, job_families=1
    )


@pytest.mark.parametrize(
    ("viewer", "person"),
    [("Ben", "Cleo"), ("Cleo", "Morgan"), ("Morgan", "Eve"), ("Morgan", "Gus"), ("Fay", "Ada")],
)
def test_people_outside_scope_are_not_permitted(
    org: Organisation, viewer: str, person: str
) -> None:
    who, whom = org.viewer(viewer), org.id(person)
    for query in (person_summary, competency_evidence, evidence_totals, team_overview):
        with pytest.raises(NotPermitted):
            query(org.session, who, whom)


def test_an_unknown_person_is_not_permitted_even_for_ld(org: Organisation) -> None:
    with pytest.raises(NotPermitted):
        person_summary(org.session, org.viewer("Ada"), 10_000)


def test_demo_personas_pick_first_line_manager_and_their_busiest_report(
    org: Organisation,
) -> None:
    personas = demo_personas(org.session)

    assert {role: viewer.name for role, viewer in personas.items()} == {
        "ld_admin": "Ada",
        "manager": "Morgan",
        "learner": "Cleo",
    }
    assert personas["ld_admin"].is_ld_admin
    assert personas["manager"].is_manager
    assert not personas["learner"].is_manager
    assert not personas["learner"].sees_everyone


def test_demo_personas_break_ties_by_lowest_id(org: Organisation) -> None:
    """Fay gets a second report, so she ties with Morgan; Morgan was created first."""
    org.session.add(person("Hal", manager=org.people["Fay"]))
    org.people["Ada"].active = False
    org.session.commit()

    personas = demo_personas(org.session)

    assert personas["manager"].name == "Morgan"
    assert personas["ld_admin"].name == "Eve"


def test_demo_personas_leave_out_roles_no_one_fits(engine: Engine) -> None:
    with session_factory(engine)() as session:
        assert demo_personas(session) == {}
        session.add(person("Solo"))
        session.commit()
        assert demo_personas(session) == {}
