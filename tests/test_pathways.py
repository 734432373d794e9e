"""Pathway rules on a tiny hand-built framework, with numbers worked out by hand.

Scale 0-5, minimum support 0.5, half-life 365 days; an attestation weighs 0.8 when fresh, a
self-rating 0.3. Job family F:
  level 1: A >= 1 (weight 1), C >= 0 (always met)
  level 2: A >= 2 (weight 2, critical), B >= 2 (weight 1)
  level 3: A >= 3, B >= 3 (critical), C >= 2 (weight 2)
"""

import json
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data_model.access import OPERATOR, NotPermitted, Viewer
from data_model.cli import main
from data_model.evidence_source import competency_rules, raw_evidence_query, read_raw_evidence
from data_model.mastery import read_evidence
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
from data_model.queries.calibration import person_calibration
from data_model.queries.equity import progression_equity
from data_model.queries.groups import closest_roles, cohort, group_progress
from data_model.queries.mastery import end_of_day
from data_model.queries.pathway_mastery import mastery_as_of, mastery_series
from data_model.queries.programmes import programme_effectiveness
from data_model.queries.progress import Progress, candidates, person_progress, team_progress
from data_model.rollup import recompute_all

NOW = datetime.now(UTC)
_keys = count()


def _rate(person: Person, competency: Competency, value: float, days_ago: float,
          source: SourceKind = SourceKind.ATTESTATION) -> LearningRecord:  # fmt: skip
    return LearningRecord(
        dedupe_key=f"r{next(_keys)}", person_id=person.id, competency_id=competency.id,
        rating=value, occurred_at=NOW - timedelta(days=days_ago), source_kind=source,
    )  # fmt: skip


@pytest.fixture
def org(engine: Engine) -> dict[str, int]:
    """People by key -> id, with their ratings, and the materialised table rebuilt."""
    with Session(engine) as session, session.begin():
        framework = Framework(code="T", name="Tiny", scale_min=0, scale_max=5, proficient_level=3)
        a, b, c = (Competency(framework=framework, code=code, name=f"Skill {code}",
                              category=CompetencyCategory.TECHNICAL) for code in "ABC")  # fmt: skip
        family = JobFamily(framework=framework, code="F", name="Family")
        for rank, requirements in (
            (1, [(a, 1, 1, False), (c, 0, 1, False)]),
            (2, [(a, 2, 2, True), (b, 2, 1, False)]),
            (3, [(a, 3, 1, False), (b, 3, 1, True), (c, 2, 2, False)]),
        ):
            level = PathwayLevel(job_family=family, rank=rank, title=f"Level {rank}")
            level.requirements = [
                LevelRequirement(competency=comp, required_level=r, weight=w, critical=crit)
                for comp, r, w, crit in requirements
            ]
        session.add_all([framework, family])
        session.flush()
        people = {}
        for key, title in [("M", None), ("P", 2), ("Q", 1), ("R", 2), ("N", 1), ("S", 1),
                           ("T", 1), ("U", 1), ("V", 1), ("W", 1), ("X", 1)]:  # fmt: skip
            person = Person(
                external_id=key, name=f"Person {key}", email=f"{key.lower()}@example.com",
                job_family_id=None if key == "M" else family.id, title_level=title,
                manager_id=None,
            )  # fmt: skip
            session.add(person)
            session.flush()
            people[key] = person
        for key in "PQRNSTUVW":
            people[key].manager_id = people["M"].id
        people["X"].manager_id = people["P"].id
        p = people
        activities = {}
        for name, hours, tags in (
            ("B course", 10, [(b, 2)]),
            ("B bootcamp", 2, [(b, 3)]),
            ("B intro", 1, [(b, 1)]),
            ("B done", 1, [(b, 2)]),
            ("A and B project", 4, [(b, 2), (a, 3)]),
        ):
            activity = Activity(external_id=name, title=name, kind=ActivityKind.COURSE,
                                formal=True, hours=hours)  # fmt: skip
            activity.tags = [
                ActivityCompetency(competency=comp, target_level=t) for comp, t in tags
            ]
            session.add(activity)
            activities[name] = activity
        session.flush()
        records = [
            _rate(p["P"], a, 2, 1), _rate(p["P"], b, 1, 1),
            _rate(p["Q"], a, 1.5, 1), _rate(p["Q"], b, 2, 1),
            _rate(p["R"], a, 3, 1), _rate(p["R"], b, 3, 1), _rate(p["R"], c, 2, 1),
            _rate(p["S"], a, 2, 1), _rate(p["S"], b, 2, 1, SourceKind.SELF_REPORT),
            _rate(p["T"], a, 2, 1), _rate(p["T"], b, 2, 600),
            _rate(p["U"], a, 2, 200),
            _rate(p["V"], a, 2, 1), _rate(p["V"], b, 1, 200),
            _rate(p["W"], a, 2, 400), _rate(p["W"], a, 2, 410), _rate(p["W"], b, 1, 400),
            _rate(p["X"], a, 2, 1), _rate(p["X"], b, 1, 1),
            LearningRecord(dedupe_key="done", person_id=p["X"].id,
                           activity_id=activities["B done"].id, completed=True,
                           occurred_at=NOW - timedelta(days=1500), source_kind=SourceKind.COURSE),
        ]  # fmt: skip
        session.add_all(records)
        ids = {key: person.id for key, person in people.items()}
    recompute_all(engine)
    return ids


def _progress(engine: Engine, person_id: int) -> Progress:
    with Session(engine) as session:
        return person_progress(session, OPERATOR, person_id)


def test_attained_next_and_partial_readiness(engine: Engine, org: dict[str, int]) -> None:
    """P: A=2, B=1, no C. Level 1 holds (C >= 0 needs nothing); level 2 misses B.
    Readiness = (2 x 1 + 1 x 1/2) / 3."""
    progress = _progress(engine, org["P"])
    assert (progress.attained_level, progress.next_level) == (1, 2)
    assert progress.readiness == pytest.approx(2.5 / 3)
    assert not progress.ready
    assert progress.title_ahead_of_evidence
    assert not progress.working_above_title
    [gap] = progress.gaps
    assert (gap.competency, gap.required, gap.missing) == ("B", 2.0, "level")
    assert gap.mastery == pytest.approx(1.0)


def test_unmet_critical_requirement_gets_no_credit(engine: Engine, org: dict[str, int]) -> None:
    """Q: A=1.5 < 2 (critical, weight 2) gets 0, not 0.75; B met: readiness 1 / 3."""
    progress = _progress(engine, org["Q"])
    assert progress.attained_level == 1
    assert progress.readiness == pytest.approx(1 / 3)


def test_ready_when_evidence_is_past_the_title(engine: Engine, org: dict[str, int]) -> None:
    """R (title 2) meets all of level 3: measured against the level above their title, which
    they hold, so ready, with readiness 1 and nothing missing."""
    progress = _progress(engine, org["R"])
    assert (progress.attained_level, progress.next_level, progress.status) == (3, 3, "ready")
    assert (progress.ready, progress.readiness) == (True, 1.0)
    assert progress.working_above_title
    assert progress.gaps == ()


def test_top_level(engine: Engine, org: dict[str, int]) -> None:
    """O holds level 3, the top, with title 3: nothing above."""
    top = _add_person(engine, "O", [("A", 3, 1, SourceKind.ATTESTATION),
                                    ("B", 3, 1, SourceKind.ATTESTATION),
                                    ("C", 2, 1, SourceKind.ATTESTATION)], title=3)  # fmt: skip
    progress = _progress(engine, top)
    assert (progress.attained_level, progress.next_level, progress.status) == (3, None, "top_level")
    assert (progress.ready, progress.readiness, progress.gaps) == (False, None, ())
    assert not progress.working_above_title


def test_no_job_family_and_no_evidence(engine: Engine, org: dict[str, int]) -> None:
    manager = _progress(engine, org["M"])
    assert (manager.status, manager.attained_level, manager.readiness) == ("no_pathway", None, None)
    newcomer = _progress(engine, org["N"])
    assert (newcomer.status, newcomer.attained_level, newcomer.next_level) == ("no_evidence", 0, 1)
    assert newcomer.readiness == pytest.approx(0.5)  # A: 0 of 1; C >= 0 met


def test_missing_kinds_and_attestation_steps(engine: Engine, org: dict[str, int]) -> None:
    """S rated B=2 themselves (support 0.3); T's attestation of B=2 is 600 days old
    (0.8 then, 0.26 now)."""
    trusted = _progress(engine, org["S"])
    stale = _progress(engine, org["T"])
    assert [(g.competency, g.missing) for g in trusted.gaps] == [("B", "more trusted evidence")]
    assert [(g.competency, g.missing) for g in stale.gaps] == [("B", "fresher evidence")]
    assert stale.gaps[0].support == pytest.approx(0.8 * 0.5 ** (600 / 365), rel=1e-3)
    assert trusted.readiness == pytest.approx(1.0)  # partial credit min(1, 2 / 2)
    assert not trusted.ready
    assert [s.activity for s in trusted.recommendations] == ["Ask for an attestation of Skill B"]


def test_at_risk_when_met_evidence_fades(engine: Engine, org: dict[str, int]) -> None:
    """U's only evidence, A=2 from 200 days ago: 0.8 x 0.5^(200/365) = 0.55 meets level 1,
    but x 0.5^(90/365) = 0.46 falls short within 90 days."""
    progress = _progress(engine, org["U"])
    assert progress.attained_level == 1
    assert progress.at_risk
    assert progress.status == "at_risk"


def test_stalled_versus_on_track(engine: Engine, org: dict[str, int]) -> None:
    """V's A evidence is from yesterday, so readiness grew over 90 days; W's is all
    more than a year old (two attestations of A: support 0.74 now, 0.62 in 90 days), and fading
    changes no ratio, so readiness is flat all year."""
    growing = _progress(engine, org["V"])
    flat = _progress(engine, org["W"])
    assert (growing.status, growing.stalled) == ("on_track", False)
    assert growing.velocity_per_month is not None
    assert growing.velocity_per_month > 0
    assert growing.forecast_ready is not None
    assert (flat.status, flat.stalled, flat.at_risk) == ("stalled", True, False)
    assert flat.velocity_per_month == pytest.approx(0.0, abs=1e-9)
    assert flat.forecast_ready is None


def test_recommendations_ranked_by_gap_closed_per_hour(engine: Engine, org: dict[str, int]) -> None:
    """X: B ~1.04 (a rating of 1 and an old completion of "B done"). Gap closed per hour:
    bootcamp 0.96 / 2, project 0.96 / 4 (A is not a gap), course 0.96 / 10; intro (target 1)
    is below mastery and "B done" is already done."""
    progress = _progress(engine, org["X"])
    steps = [(s.activity, s.competencies) for s in progress.recommendations]
    assert steps == [("B bootcamp", ("B",)), ("A and B project", ("B",)), ("B course", ("B",))]


def test_team_direct_reports_all_levels_and_no_reports(engine: Engine, org: dict[str, int]) -> None:
    """M manages everyone but X, who reports to P; Q manages nobody."""
    with Session(engine) as session:
        team = team_progress(session, OPERATOR, org["M"])
        chain = team_progress(session, OPERATOR, org["M"], all_levels=True)
        empty = team_progress(session, OPERATOR, org["Q"])
    assert len(team.people) == 9
    assert team.level_distribution == {"0": 1, "1": 7, "3": 1}
    assert chain.level_distribution == {"0": 1, "1": 8, "3": 1}
    assert team.share_ready == pytest.approx(1 / 9)  # R
    assert team.readiness_distribution["ready"] == 1
    assert team.readiness_distribution["100% (support short)"] == 2  # S and T
    assert team.gap_matrix.loc["S", "B"] == "more trusted evidence"
    assert team.gap_matrix.loc["P", "B"] == "level"
    assert (empty.people, empty.share_ready) == ((), None)


def test_candidates_ranked_with_catalogue_hours(engine: Engine, org: dict[str, int]) -> None:
    """For F level 2 (R already holds 3, so is left out): S and T have readiness 1 (support
    short), X (A met, B ~1.04) next; X's cheapest way to B >= 2 is the 2-hour bootcamp."""
    with Session(engine) as session:
        found = candidates(session, OPERATOR, "F", 2, limit=3)
    assert [(c.person, c.catalogue_hours) for c in found] == [("S", 0.0), ("T", 0.0), ("X", 2.0)]
    assert found[2].readiness == pytest.approx((2 + 1.04 / 2) / 3, abs=0.01)


def test_cli_progress_as_of(
    engine: Engine, org: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    """100 days ago V had only B=1 (from 200 days ago): not even level 1, readiness for it
    (A >= 1: 0 of 1, C >= 0: 1 of 1) = 0.5."""
    url = engine.url.render_as_string(hide_password=False)
    day = (NOW - timedelta(days=100)).date().isoformat()
    assert main(["--db", url, "progress", "V", "--as-of", day, "--json"]) == 0
    output = json.loads(capsys.readouterr().out)
    assert (output["attained_level"], output["next_level"]) == (0, 1)
    assert output["readiness"] == pytest.approx(0.5)
    assert [gap["competency"] for gap in output["gaps"]] == ["A"]


def test_cli_progress_json(
    engine: Engine, org: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    assert main(["--db", url, "progress", "P", "--json"]) == 0
    output = json.loads(capsys.readouterr().out)
    assert list(output) == [
        "person", "job_family", "title_level", "attained_level", "next_level", "readiness",
        "ready", "status", "gaps", "velocity_per_month", "forecast_ready", "recommendations",
    ]  # fmt: skip
    assert output["person"] == "P"
    assert output["job_family"] == "F"
    assert output["readiness"] == pytest.approx(0.8333, abs=1e-4)
    [gap] = output["gaps"]
    assert gap == {"competency": "B", "required": 2.0, "mastery": 1.0,
                   "support": round(0.8 * 0.5 ** (1 / 365), 4), "missing": "level"}  # fmt: skip
    # P, unlike X, has not done "B done": a gap of 1 closed in 1 hour ranks first.
    assert output["recommendations"][0] == {"activity": "B done", "competencies": ["B"],
                                            "hours": 1.0}  # fmt: skip


def _add_person(engine: Engine, key: str, ratings: list[tuple[str, float, float, SourceKind]],
                title: int = 1) -> int:  # fmt: skip
    """A person in family F, rated (competency code, value, days ago, source)."""
    with Session(engine) as session, session.begin():
        family = session.scalar(select(JobFamily).where(JobFamily.code == "F"))
        person = Person(external_id=key, name=f"Person {key}", email=f"{key.lower()}@example.com",
                        job_family_id=family.id, title_level=title)  # fmt: skip
        session.add(person)
        session.flush()
        codes = {c.code: c for c in session.scalars(select(Competency))}
        for code, value, days_ago, source in ratings:
            session.add(_rate(person, codes[code], value, days_ago, source))
        person_id = person.id
    recompute_all(engine)
    return person_id


def test_self_ratings_alone_never_meet_a_requirement(engine: Engine, org: dict[str, int]) -> None:
    """Y: A=2 attested; B=2 only from two fresh self-ratings: support 0.3 x 2 = 0.6 would pass
    the 0.5 minimum, but trusted support is 0, so B >= 2 stays a gap for "more trusted
    evidence", now, as of a date, and in the history. A third self-rating of B, verified by
    their manager, counts as vouched for (0.8 trust): then B is met and Y holds level 2."""
    self_rated = _add_person(engine, "Y", [
        ("A", 2, 1, SourceKind.ATTESTATION),
        ("B", 2, 1, SourceKind.SELF_REPORT), ("B", 2, 2, SourceKind.SELF_REPORT),
    ])  # fmt: skip
    progress = _progress(engine, self_rated)
    assert (progress.attained_level, progress.next_level, progress.ready) == (1, 2, False)
    [gap] = progress.gaps
    assert (gap.competency, gap.missing) == ("B", "more trusted evidence")
    assert gap.support == pytest.approx(0.0, abs=1e-5)  # stored support is rounded to 1e-6
    assert gap.mastery == pytest.approx(2.0)
    with Session(engine) as session:
        as_of = person_progress(session, OPERATOR, self_rated, as_of=NOW)
        group = group_progress(session, OPERATOR, job_family="F")
    assert [(g.competency, g.missing) for g in as_of.gaps] == [("B", "more trusted evidence")]
    row = group.people.set_index("person").loc["Y"]
    assert (row["attained_level"], bool(row["ready"])) == (1, False)
    assert progress.readiness_history[-1][1] == pytest.approx(1.0)  # credit 2 / 2, not met

    with Session(engine) as session, session.begin():
        record = _rate(
            session.get(Person, self_rated),
            session.scalar(select(Competency).where(Competency.code == "B")),
            2,
            1,
            SourceKind.SELF_REPORT,
        )
        record.verification = Verification.VERIFIED
        record.verified_by_id = org["M"]
        session.add(record)
    recompute_all(engine)
    assert _progress(engine, self_rated).attained_level == 2


def test_group_progress_matches_each_person(engine: Engine, org: dict[str, int]) -> None:
    """Everyone active: M has no pathway; R holds level 3; the rest hold 1, except N (0).
    B holds back seven of the ten with a next level: P, U, V, W, X short of the level (U has
    no B evidence), S and T short of support; Q's gap is A, N's is A."""
    with Session(engine) as session:
        group = group_progress(session, OPERATOR)
        reports = group_progress(session, OPERATOR, manager_id=org["M"], all_levels=False)
        expected = {key: person_progress(session, OPERATOR, pid) for key, pid in org.items()}
    assert group.level_distribution == {"none": 1, "0": 1, "1": 8, "3": 1}
    assert group.share_ready == pytest.approx(1 / 10)  # R, of the ten with a next level
    people = group.people.set_index("person")
    for key, progress in expected.items():
        readiness = people.loc[key, "readiness"]
        assert (
            readiness == pytest.approx(progress.readiness)
            if progress.readiness
            else (readiness != readiness)
        )
        assert people.loc[key, "gaps"] == len(progress.gaps)
    top = group.top_gaps.set_index("competency")
    assert (top.loc["B", "people"], top.loc["B", "level_gaps"]) == (7, 5)
    assert top.index[0] == "B"
    assert group.gap_matrix.loc["S", "B"] == "more trusted evidence"
    assert len(reports.people) == 9
    assert list(group.department_gaps.index) == ["No department"]
    assert group.department_gaps.loc["No department", "B"] == pytest.approx(7 / 10)


def test_cohort_by_readiness_and_missing_competency(engine: Engine, org: dict[str, int]) -> None:
    """Readiness >= 0.9 for level 2 with B missing: S and T (readiness 1, support short)."""
    with Session(engine) as session:
        found = cohort(session, OPERATOR, "F", 0.9, "B")
        everyone = cohort(session, OPERATOR, "F", 0.0)
    assert list(found["person"]) == ["S", "T"]
    assert list(found["missing"]) == ["more trusted evidence", "fresher evidence"]
    assert len(everyone) == 10
    assert list(everyone["person"][:3]) == ["R", "S", "T"]


def test_closest_roles_outside_own_family(engine: Engine, org: dict[str, int]) -> None:
    """M has no job family and no evidence: F1 0.5 (C >= 0 met), F3 and F2 0, higher first."""
    with Session(engine) as session:
        roles = closest_roles(session, OPERATOR, org["M"])
        own_only = closest_roles(session, OPERATOR, org["P"])
    assert list(zip(roles["rank"], roles["readiness"], strict=True)) == [(1, 0.5), (3, 0.0),
                                                                         (2, 0.0)]  # fmt: skip
    assert [gap.competency for gap in roles.loc[0, "gaps"]] == ["A"]
    assert own_only.empty


def test_group_scoped_to_the_viewer(engine: Engine, org: dict[str, int]) -> None:
    """P manages only X: P's view of the organisation is P and X."""
    viewer = Viewer(person_id=org["P"], email="p@example.com", name="Person P", is_manager=True)
    with Session(engine) as session:
        group = group_progress(session, viewer)
        with pytest.raises(NotPermitted):
            group_progress(session, viewer, manager_id=org["M"])
    assert sorted(group.people["person"]) == ["P", "X"]


def test_cli_team_json_has_the_group_figures(
    engine: Engine, org: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    """M's nine reports (X reports to P): B holds back P, U, V, W (level) and S, T (support)."""
    url = engine.url.render_as_string(hide_password=False)
    assert main(["--db", url, "team", "M", "--json"]) == 0
    output = json.loads(capsys.readouterr().out)
    assert len(output["people"]) == 9
    assert output["share_ready"] == pytest.approx(1 / 9, abs=1e-4)  # printed to 4 places
    assert output["gap_matrix"]["S"] == {"B": "more trusted evidence"}
    top = output["top_gaps"][0]
    assert (top["competency"], top["people"], top["level_gaps"], top["evidence_gaps"]) == (
        "B", 6, 4, 2,
    )  # fmt: skip
    assert {row["competency"] for row in output["top_gaps_by_size"]} == {"A", "B"}


def test_a_person_who_changed_job_family(engine: Engine, org: dict[str, int]) -> None:
    """R (A=3, B=3, C=2, title 2) moves to family G (level 1: C >= 2; level 2: A >= 4). The
    evidence comes along; the pathway is G's: level 1 held, level 2 at 3 / 4, title ahead of
    evidence. F's candidates now include R again."""
    with Session(engine) as session, session.begin():
        framework_id = session.scalar(select(JobFamily.framework_id).where(JobFamily.code == "F"))
        codes = {c.code: c for c in session.scalars(select(Competency))}
        family = JobFamily(framework_id=framework_id, code="G", name="Other family")
        for rank, code, required in ((1, "C", 2), (2, "A", 4)):
            level = PathwayLevel(job_family=family, rank=rank, title=f"G{rank}")
            level.requirements = [LevelRequirement(competency=codes[code], required_level=required)]
        session.add(family)
        session.flush()
        session.get(Person, org["R"]).job_family_id = family.id
    progress = _progress(engine, org["R"])
    assert (progress.job_family, progress.attained_level, progress.next_level) == ("G", 1, 2)
    assert progress.readiness == pytest.approx(0.75)
    assert progress.title_ahead_of_evidence
    assert [(gap.competency, gap.missing) for gap in progress.gaps] == [("A", "level")]
    with Session(engine) as session:
        found = candidates(session, OPERATOR, "F", 3, limit=20)
    assert "R" in [candidate.person for candidate in found]


def test_day_series_agrees_with_the_engine_day_by_day(engine: Engine, org: dict[str, int]) -> None:
    """The readiness history's one-pass arithmetic gives, for every pair and day, the mastery
    and trusted support that the engine gives when run as of that day."""
    ids = list(org.values())
    days = [(NOW - timedelta(days=back)).date() for back in (700, 450, 300, 100, 0)]
    with Session(engine) as session:
        rules = competency_rules(session)
        evidence = read_evidence(read_raw_evidence(session, raw_evidence_query(ids)))
        pairs = evidence[["person_id", "competency_id"]].drop_duplicates().reset_index(drop=True)
        mastery, support = mastery_series(evidence, pairs, rules, days)
        for column, day in enumerate(days):
            as_of = mastery_as_of(session, ids, rules, end_of_day(day))
            engine_view = pairs.merge(as_of, on=["person_id", "competency_id"], how="left")
            assert mastery[:, column] == pytest.approx(engine_view["mastery"].to_numpy(float),
                                                       nan_ok=True)  # fmt: skip
            for row, levels in enumerate(engine_view["support_levels"]):
                expected = levels if isinstance(levels, list) else []
                got = support[row, column, : len(expected)]
                assert got == pytest.approx(expected, abs=1e-6)


def test_no_framework_loaded_gives_clear_empty_answers(engine: Engine) -> None:
    """A roster and nothing else: no competencies, pathways or records."""
    with Session(engine) as session, session.begin():
        session.add(Person(external_id="solo", name="Solo", email="solo@example.com"))
    with Session(engine) as session:
        person_id = session.scalar(select(Person.id))
        progress = person_progress(session, OPERATOR, person_id)
        group = group_progress(session, OPERATOR)
        equity = progression_equity(session, OPERATOR, "department")
        programmes = programme_effectiveness(session, OPERATOR)
        calibration = person_calibration(session, OPERATOR, person_id)
        roles = closest_roles(session, OPERATOR, person_id)
    assert (progress.status, progress.readiness) == ("no_pathway", None)
    assert (group.level_distribution, group.share_ready) == ({"none": 1}, None)
    assert group.top_gaps.empty
    assert equity["suppressed"].tolist() == [True]
    assert programmes.empty
    assert calibration.empty
    assert roles.empty
