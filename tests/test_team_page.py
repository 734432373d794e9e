"""My team: attestations and verification answers on both backends, then the page through
AppTest on a demo organisation (table, drill-down, heatmap explanations, the attestation form,
the verification inbox and the downloads).

Expected numbers come from the engine and the read models run directly on the same database,
so a page or a write that gets mastery wrong fails here.
"""

import io
import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from data_model.access import NotPermitted, Viewer, viewer_for_person
from data_model.attestation import InvalidAttestation, attest
from data_model.database import open_database
from data_model.evidence_source import competency_rules
from data_model.goals import people_goals, set_goal
from data_model.informal import rate_myself
from data_model.models import (
    AuditEntry,
    Competency,
    CompetencyCategory,
    Framework,
    JobFamily,
    LearningRecord,
    MasteryScore,
    Person,
    SourceKind,
    Verification,
)
from data_model.queries import demo_personas
from data_model.queries.calibration import calibration_of
from data_model.queries.mastery import explain_mastery, find_competency
from data_model.queries.progress import candidates, person_progress, team_progress
from data_model.queries.team import STATUS_LABELS, level_label, level_titles
from data_model.rollup import compute_mastery, pairs_of_records, recompute_all
from data_model.verification import (
    InvalidAnswer,
    accept,
    decline,
    decline_reasons,
    verification_inbox,
)
from loaders.demo import seed_demo_organisation
from tests.page_tables import assert_calibration_shown, percent_cells, whole_percents
from ui.formatting import TITLE_AHEAD_OF_EVIDENCE, WORKING_ABOVE_TITLE

PROJECT_ROOT = Path(__file__).resolve().parent.parent
APP = str(PROJECT_ROOT / "app.py")
TEAM_PAGE = "app_pages/my_team.py"
NOW = datetime.now(UTC)
_keys = count()


def _viewer(ids: dict[str, int], key: str, **roles: bool) -> Viewer:
    return Viewer(person_id=ids[key], email=f"{key.lower()}@example.com", name=key, **roles)


@pytest.fixture
def org(engine: Engine) -> dict[str, int]:
    """M manages P and Q; P manages X; O and V sit elsewhere. Competencies A and B, scale 0-5.

    P has a fresh self-rating of 2 on A; P logged a pending rating of 3 on B and asked M to
    verify it; Q asked V to verify one on A.
    """
    with Session(engine) as session, session.begin():
        framework = Framework(code="T", name="Tiny", scale_min=0, scale_max=5, proficient_level=3)
        for code in "AB":
            session.add(Competency(framework=framework, code=code, name=f"Skill {code}",
                                   category=CompetencyCategory.TECHNICAL))  # fmt: skip
        people: dict[str, Person] = {}
        for key in "MPQXOV":
            people[key] = Person(external_id=key, name=f"Person {key}",
                                 email=f"{key.lower()}@example.com")  # fmt: skip
            session.add(people[key])
        session.flush()
        for key, manager in (("P", "M"), ("Q", "M"), ("X", "P")):
            people[key].manager_id = people[manager].id
        ids = {key: person.id for key, person in people.items()}
        competency = {c.code: c.id for c in session.scalars(select(Competency))}
        ids.update({f"comp_{code}": competency_id for code, competency_id in competency.items()})
        session.add_all(
            [
                _record(ids["P"], competency["A"], 2, SourceKind.SELF_REPORT),
                _record(ids["P"], competency["B"], 3, SourceKind.PROJECT, Verification.PENDING,
                        ids["M"], key="pending_p"),
                _record(ids["Q"], competency["A"], 3, SourceKind.PROJECT, Verification.PENDING,
                        ids["V"], key="pending_q"),
            ]
        )  # fmt: skip
    recompute_all(engine)
    with Session(engine) as session:
        for key in ("pending_p", "pending_q"):
            ids[key] = session.scalar(
                select(LearningRecord.id).where(LearningRecord.dedupe_key == key)
            )
    return ids


def _record(
    person_id: int,
    competency_id: int,
    rating: float,
    source: SourceKind,
    verification: Verification = Verification.NOT_NEEDED,
    verifier: int | None = None,
    key: str | None = None,
) -> LearningRecord:
    return LearningRecord(
        dedupe_key=key or f"r{next(_keys)}", person_id=person_id, competency_id=competency_id,
        rating=rating, occurred_at=NOW - timedelta(days=2), source_kind=source,
        verification=verification, verified_by_id=verifier, notes="Ran the migration",
    )  # fmt: skip


def _stored(session: Session, person_id: int, competency_id: int) -> dict[str, Any] | None:
    row = session.execute(
        select(MasteryScore.mastery, MasteryScore.support).where(
            MasteryScore.person_id == person_id, MasteryScore.competency_id == competency_id
        )
    ).first()
    return None if row is None else {"mastery": row.mastery, "support": row.support}


def _engine_says(session: Session, person_id: int, competency_id: int) -> dict[str, Any] | None:
    """What the engine computes from the records now, for comparison with the stored row."""
    result = compute_mastery(session, competency_rules(session), datetime.now(UTC), [person_id])
    row = result[result["competency_id"] == competency_id]
    if row.empty:
        return None
    return {"mastery": float(row["mastery"].iloc[0]), "support": float(row["support"].iloc[0])}


def _assert_materialised_matches_engine(session: Session, person_id: int, competency: int) -> None:
    stored = _stored(session, person_id, competency)
    expected = _engine_says(session, person_id, competency)
    if expected is None:
        assert stored is None
        return
    assert stored is not None
    assert stored["mastery"] == pytest.approx(expected["mastery"], abs=1e-6)
    assert stored["support"] == pytest.approx(expected["support"], rel=1e-3)


def test_an_attestation_is_verified_evidence_from_the_manager_and_lifts_mastery(
    engine: Engine, org: dict[str, int]
) -> None:
    manager = _viewer(org, "M", is_manager=True)
    with Session(engine) as session:
        before = _stored(session, org["P"], org["comp_A"])
    assert before is not None
    assert before["mastery"] == pytest.approx(2.0)

    with Session(engine) as session, session.begin():
        done = attest(session, manager, org["P"], org["comp_A"], 4, "  Led the outage review ")

    with Session(engine) as session:
        record = session.get(LearningRecord, done.record_id)
        assert record is not None
        assert record.source_kind is SourceKind.ATTESTATION
        assert record.verification is Verification.VERIFIED
        assert record.verified_by_id == org["M"]
        assert record.verified_at is not None
        assert (record.rating, record.notes) == (4.0, "Led the outage review")
        after = _stored(session, org["P"], org["comp_A"])
        assert after is not None
        # A self-rating of 2 (trust 0.3) and an attestation of 4 (trust 0.8): well above 2.
        assert 3.0 < after["mastery"] <= 4.0
        _assert_materialised_matches_engine(session, org["P"], org["comp_A"])
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "attestation")).one()
        assert (entry.actor, entry.target_id) == ("m@example.com", str(done.record_id))
        assert entry.details["rating"] == 4.0


def test_attesting_further_down_the_chain_is_allowed(engine: Engine, org: dict[str, int]) -> None:
    with Session(engine) as session, session.begin():
        attest(session, _viewer(org, "M"), org["X"], org["comp_B"], 3, "Mentored two juniors")
    with Session(engine) as session:
        assert _stored(session, org["X"], org["comp_B"]) is not None
        _assert_materialised_matches_engine(session, org["X"], org["comp_B"])


@pytest.mark.parametrize(
    ("who", "about", "roles"),
    [("M", "O", {}), ("M", "M", {}), ("P", "M", {}), ("O", "P", {"is_ld_admin": True})],
    ids=["outside the chain", "themselves", "their own manager", "an admin is no witness"],
)
def test_attestations_outside_the_reporting_chain_are_refused(
    engine: Engine, org: dict[str, int], who: str, about: str, roles: dict[str, bool]
) -> None:
    with Session(engine) as session, session.begin(), pytest.raises(NotPermitted):
        attest(session, _viewer(org, who, **roles), org[about], org["comp_A"], 3, "Saw it")
    with Session(engine) as session:
        assert session.scalar(select(func.count(AuditEntry.id))) == 0
        attestations = select(func.count(LearningRecord.id)).where(
            LearningRecord.source_kind == SourceKind.ATTESTATION
        )
        assert session.scalar(attestations) == 0


@pytest.mark.parametrize(
    ("rating", "note", "message"),
    [
        (6, "Saw it", "from 0 to 5"),
        (-1, "Saw it", "from 0 to 5"),
        (None, "Saw it", "from 0 to 5"),
        (3, "   ", "Add a note"),
    ],
)
def test_an_attestation_must_be_on_the_scale_and_say_why(
    engine: Engine, org: dict[str, int], rating: float | None, note: str, message: str
) -> None:
    with (
        Session(engine) as session,
        session.begin(),
        pytest.raises(InvalidAttestation, match=message),
    ):
        attest(session, _viewer(org, "M"), org["P"], org["comp_A"], rating, note)


def test_the_inbox_holds_only_what_the_viewer_was_asked_to_vouch_for(
    engine: Engine, org: dict[str, int]
) -> None:
    with Session(engine) as session:
        inbox = verification_inbox(session, _viewer(org, "M"))
        assert inbox["record_id"].tolist() == [org["pending_p"]]
        assert inbox[["person", "competency", "notes"]].iloc[0].tolist() == [
            "Person P", "Skill B", "Ran the migration",
        ]  # fmt: skip
        # Q asked V, who is not up Q's reporting chain: outside V's scope, so not shown.
        assert verification_inbox(session, _viewer(org, "V")).empty
        assert verification_inbox(session, _viewer(org, "P")).empty
        admin = _viewer(org, "O", is_ld_admin=True)
        assert verification_inbox(session, admin).empty


def test_accepting_verifies_the_record_and_raises_its_trust(
    engine: Engine, org: dict[str, int]
) -> None:
    with Session(engine) as session:
        before = _stored(session, org["P"], org["comp_B"])
    assert before is not None

    with Session(engine) as session, session.begin():
        answer = accept(session, _viewer(org, "M"), org["pending_p"])
    assert answer.verification is Verification.VERIFIED

    with Session(engine) as session:
        record = session.get(LearningRecord, org["pending_p"])
        assert record is not None
        assert record.verification is Verification.VERIFIED
        assert record.verified_at is not None
        after = _stored(session, org["P"], org["comp_B"])
        assert after is not None
        # Pending, it weighed as a self report (0.3); vouched for, as a project at least 0.8.
        assert after["support"] > before["support"] * 2
        _assert_materialised_matches_engine(session, org["P"], org["comp_B"])
        actions = session.scalars(select(AuditEntry.action)).all()
        assert actions == ["verification_accepted"]
        assert verification_inbox(session, _viewer(org, "M")).empty


def test_declining_keeps_the_reason_and_takes_the_record_out_of_the_evidence(
    engine: Engine, org: dict[str, int]
) -> None:
    with Session(engine) as session:
        assert _stored(session, org["P"], org["comp_B"]) is not None

    with Session(engine) as session, session.begin():
        decline(session, _viewer(org, "M"), org["pending_p"], " I was not on that project ")

    with Session(engine) as session:
        record = session.get(LearningRecord, org["pending_p"])
        assert record is not None
        assert record.verification is Verification.DECLINED
        assert record.verified_at is None
        assert _stored(session, org["P"], org["comp_B"]) is None
        _assert_materialised_matches_engine(session, org["P"], org["comp_B"])
        reasons = decline_reasons(session, _viewer(org, "P"), org["P"])
        assert reasons == {org["pending_p"]: "I was not on that project"}
        assert decline_reasons(session, _viewer(org, "Q"), org["P"]) == {}


def test_answers_are_only_for_the_one_asked_and_only_once(
    engine: Engine, org: dict[str, int]
) -> None:
    for who, record in (("V", "pending_p"), ("P", "pending_p"), ("M", "pending_q"),
                        ("V", "pending_q")):  # fmt: skip
        with Session(engine) as session, session.begin(), pytest.raises(NotPermitted):
            accept(session, _viewer(org, who), org[record])
    with Session(engine) as session, session.begin(), pytest.raises(InvalidAnswer):
        decline(session, _viewer(org, "M"), org["pending_p"], "  ")
    with Session(engine) as session, session.begin():
        accept(session, _viewer(org, "M"), org["pending_p"])
    with Session(engine) as session, session.begin(), pytest.raises(NotPermitted):
        decline(session, _viewer(org, "M"), org["pending_p"], "Changed my mind")
    with Session(engine) as session:
        record = session.get(LearningRecord, org["pending_p"])
        assert record is not None
        assert record.verification is Verification.VERIFIED
        assert session.scalar(select(func.count(AuditEntry.id))) == 1


# The page, through AppTest on a demo organisation.


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("team_demo") / "pathwise.db"
    engine = open_database(f"sqlite:///{path}")
    seed_demo_organisation(engine, people=60)
    engine.dispose()
    return path


@pytest.fixture
def demo_url(demo_template: Path, tmp_path: Path) -> str:
    """A fresh copy of the demo for each test, since the forms write to it."""
    path = tmp_path / "pathwise.db"
    shutil.copy(demo_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def demo_engine(demo_url: str) -> Iterator[Engine]:
    engine = open_database(demo_url)
    yield engine
    engine.dispose()


@pytest.fixture
def manager(demo_engine: Engine) -> Viewer:
    with Session(demo_engine) as session:
        return demo_personas(session)["manager"]


def open_team(monkeypatch: pytest.MonkeyPatch, url: str, person: str | None = None) -> AppTest:
    monkeypatch.chdir(PROJECT_ROOT)
    monkeypatch.setenv("PATHWISE_DB_URL", url)
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.selectbox(key="view_as").select("manager").run()
    if person is not None:
        at.query_params["person"] = person
    at.switch_page(TEAM_PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def explanations(at: AppTest) -> list[pd.DataFrame]:
    """The evidence tables of explanations on the page (the only tables with shares)."""
    return [table.value for table in at.dataframe if "share" in table.value.columns]


def test_the_table_shows_each_reports_level_readiness_and_status(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str, manager: Viewer
) -> None:
    assert manager.person_id is not None
    with Session(demo_engine) as session:
        expected = team_progress(session, manager, manager.person_id)

    at = open_team(monkeypatch, demo_url)

    table = at.dataframe[0].value.set_index("person")
    assert sorted(table.index) == sorted(p.person for p in expected.people)
    for progress in expected.people:
        row = table.loc[progress.person]
        assert row["status"] == STATUS_LABELS[progress.status]
        if progress.readiness is None:
            assert pd.isna(row["readiness"])
        else:
            assert row["readiness"] == pytest.approx(progress.readiness * 100)
    readiness = dict(zip(table.index, percent_cells(at, "readiness"), strict=True))
    with_next = [p for p in expected.people if p.readiness is not None]
    assert [readiness[p.person] for p in with_next] == whole_percents(
        [p.readiness for p in with_next]
    )
    assert [s.value for s in at.subheader][:1] == ["Your reports"]
    assert any(c.value.startswith(f"Table of your {len(table)} direct reports") for c in at.caption)
    assert any(i.value.startswith("None of your reports has set a learning goal") for i in at.info)
    [heatmap] = at.get("plotly_chart")
    assert "Heatmap of your reports by competency" in heatmap.proto.alt
    gaps = sum(len(p.gaps) for p in expected.people)
    assert any(c.value.startswith(f"Reports by competency: {gaps} gap") for c in at.caption)


def test_the_next_level_of_someone_working_above_title_is_explained_by_their_title(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str, manager: Viewer
) -> None:
    """One report's title is set a level below what their evidence attains: the pathway rules
    then measure them against the level above their title, which they already attain, so Next
    level equals Level attained. Another's title is set a level above: their next level is the
    title they already have. The title and how the evidence sits against it say why."""
    assert manager.person_id is not None
    with Session(demo_engine) as session, session.begin():
        before = team_progress(session, manager, manager.person_id, history=False).people
        at_title = [p for p in before if p.next_level and p.attained_level == p.title_level != 0]
        above, ahead = at_title[0], at_title[1]
        for person, title in ((above, above.attained_level - 1), (ahead, ahead.title_level + 1)):
            session.execute(
                update(Person).where(Person.id == person.person_id).values(title_level=title)
            )
    with Session(demo_engine) as session:
        after = {p.person: p for p in team_progress(session, manager, manager.person_id).people}
        titles = level_titles(session)

    at = open_team(monkeypatch, demo_url)

    table = at.dataframe[0].value.set_index("person")
    working_above, title_ahead = after[above.person], after[ahead.person]
    assert working_above.next_level == working_above.attained_level
    assert title_ahead.next_level == title_ahead.title_level
    for progress in after.values():
        row = table.loc[progress.person]
        family = progress.job_family
        assert row["title"] == level_label(titles, family, progress.title_level)
        assert row["level"] == level_label(titles, family, progress.attained_level)
        assert row["next_level"] == level_label(titles, family, progress.next_level)
        expected = (
            WORKING_ABOVE_TITLE if progress.working_above_title
            else TITLE_AHEAD_OF_EVIDENCE if progress.title_ahead_of_evidence
            else None
        )  # fmt: skip
        assert (None if pd.isna(row["title_check"]) else row["title_check"]) == expected
    assert table.loc[above.person, "title_check"] == WORKING_ABOVE_TITLE
    assert table.loc[above.person, "status"] == STATUS_LABELS["ready"]
    assert table.loc[ahead.person, "title_check"] == TITLE_AHEAD_OF_EVIDENCE
    columns = json.loads(at.dataframe[0].proto.columns)
    assert columns["title_check"]["label"] == "Title and evidence"
    assert "above their title" in columns["next_level"]["help"]


def test_selecting_a_row_opens_that_reports_progress_read_only(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str, manager: Viewer
) -> None:
    at = open_team(monkeypatch, demo_url)
    table = at.dataframe[0].value

    at.session_state["team_table"] = {"selection": {"rows": [2], "columns": [], "cells": []}}
    at.run()

    chosen = table.iloc[2]
    assert at.query_params["person"] == chosen["person"]
    with Session(demo_engine) as session:
        progress = person_progress(session, manager, int(chosen["person_id"]))
    assert progress.name in [s.value for s in at.subheader]
    shown = {m.label: m.value for m in at.metric}
    assert shown["Status"] == STATUS_LABELS[progress.status]
    if progress.readiness is not None:
        assert shown["Readiness"] == f"{progress.readiness:.0%}"
    assert "Set goal" not in [button.label for button in at.button]
    assert f"explain_{progress.person_id}" in [box.key for box in at.selectbox]


def test_a_link_to_a_report_opens_their_progress_and_explains_a_score(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str, manager: Viewer
) -> None:
    with Session(demo_engine) as session:
        learner = demo_personas(session)["learner"]
        assert learner.person_id is not None
        person = session.get(Person, learner.person_id)
        assert person is not None
        external_id = person.external_id

    at = open_team(monkeypatch, demo_url, person=external_id)

    assert learner.name in [s.value for s in at.subheader]
    explain = at.selectbox(key=f"explain_{learner.person_id}")
    explain.select_index(0).run()

    name = explain.options[0].rsplit(": ", 1)[0]
    with Session(demo_engine) as session:
        competency_id = session.scalar(select(Competency.id).where(Competency.name == name))
        assert competency_id is not None
        expected = explain_mastery(session, manager, learner.person_id, competency_id)
    [evidence] = explanations(at)
    assert len(evidence) == len(expected.evidence)
    assert evidence["share"].sum() == pytest.approx(expected.evidence["share"].sum())


def test_a_link_to_someone_outside_the_team_is_not_permitted(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str, manager: Viewer
) -> None:
    with Session(demo_engine) as session:
        admin = demo_personas(session)["ld_admin"]
        outsider = session.get(Person, admin.person_id)
        assert outsider is not None

    at = open_team(monkeypatch, demo_url, person=outsider.external_id)

    assert [e.value for e in at.error] == ["Not permitted: that is outside what you may see."]
    assert outsider.name not in [s.value for s in at.subheader]
    assert not at.dataframe


def test_a_heatmap_cell_opens_the_evidence_behind_the_gap(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str, manager: Viewer
) -> None:
    at = open_team(monkeypatch, demo_url)
    gap = at.selectbox(key="explain_gap")
    name, competency_name = gap.options[0].split(" · ")
    gap.select_index(0).run()

    table = at.dataframe[0].value
    person_id = int(table.loc[table["name"] == name, "person_id"].iloc[0])
    with Session(demo_engine) as session:
        competency_id = session.scalar(
            select(Competency.id).where(Competency.name == competency_name)
        )
        assert competency_id is not None
        expected = explain_mastery(session, manager, person_id, competency_id)
    if expected.summary:
        assert [len(shown) for shown in explanations(at)] == [len(expected.evidence)]
    else:
        assert any("has no usable evidence on this competency" in i.value for i in at.info)


def test_the_attestation_form_records_evidence_and_changes_mastery_as_the_engine_says(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str, manager: Viewer
) -> None:
    with Session(demo_engine) as session:
        learner = demo_personas(session)["learner"]
        assert learner.person_id is not None
        competency_id = find_competency(session, "PR-COMM")
        before = _stored(session, learner.person_id, competency_id)
    at = open_team(monkeypatch, demo_url)

    at.selectbox(key="attest_report").select(learner.person_id)
    at.selectbox(key="attest_competency").select(competency_id)
    at.number_input(key="attest_rating").set_value(5.0)
    at.text_area(key="attest_note").input("Ran the quarterly all-hands and took every question")
    at.button(key="FormSubmitter:attestation-Record attestation").click().run()

    assert not at.exception, [e.value for e in at.exception]
    with Session(demo_engine) as session:
        record = session.scalars(
            select(LearningRecord).where(LearningRecord.dedupe_key.like("attestation:%"))
        ).one()
        assert (record.person_id, record.competency_id, record.rating) == (
            learner.person_id, competency_id, 5.0,
        )  # fmt: skip
        assert record.verified_by_id == manager.person_id
        assert record.verification is Verification.VERIFIED
        after = _stored(session, learner.person_id, competency_id)
        assert after is not None
        assert before is None or after["mastery"] > before["mastery"]
        _assert_materialised_matches_engine(session, learner.person_id, competency_id)
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "attestation")
        ).all()
    assert [(e.actor, e.target_id) for e in entries] == [(manager.email, str(record.id))]
    [message] = [s.value for s in at.success]
    assert message.startswith(f"Recorded: {learner.name} rated 5 on Communication.")
    assert message.endswith(f"Their mastery there is now {after['mastery']:.1f}.")


def test_an_attestation_without_a_note_is_sent_back_and_writes_nothing(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str
) -> None:
    at = open_team(monkeypatch, demo_url)
    at.number_input(key="attest_rating").set_value(3.0)
    at.button(key="FormSubmitter:attestation-Record attestation").click().run()

    assert [w.value for w in at.warning] == [
        "Add a note saying what you saw that supports the rating."
    ]
    with Session(demo_engine) as session:
        attestations = select(func.count(LearningRecord.id)).where(
            LearningRecord.dedupe_key.like("attestation:%")
        )
        assert session.scalar(attestations) == 0


def _pending_for(session: Session, manager: Viewer) -> list[int]:
    return list(verification_inbox(session, manager)["record_id"])


def test_accepting_from_the_inbox_verifies_the_record_and_refreshes_mastery(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str, manager: Viewer
) -> None:
    with Session(demo_engine) as session:
        waiting = _pending_for(session, manager)
    assert waiting, "the demo manager has records to verify"
    at = open_team(monkeypatch, demo_url)
    shown = at.dataframe[-1].value
    assert len(shown) == len(waiting)

    at.selectbox(key="verify_record").select(waiting[0])
    at.radio(key="verify_answer").set_value("Accept")
    at.button(key="FormSubmitter:verification-Send answer").click().run()

    assert not at.exception, [e.value for e in at.exception]
    with Session(demo_engine) as session:
        record = session.get(LearningRecord, waiting[0])
        assert record is not None
        assert record.verification is Verification.VERIFIED
        assert record.verified_at is not None
        assert _pending_for(session, manager) == waiting[1:]
        pairs = {(record.person_id, c) for c in _competencies_of(session, record)}
        for person_id, competency_id in pairs:
            _assert_materialised_matches_engine(session, person_id, competency_id)
    [message] = [s.value for s in at.success]
    assert message.startswith("Accepted: ")
    assert f"Mastery updated on {len(pairs)} competenc" in message


def _competencies_of(session: Session, record: LearningRecord) -> list[int]:
    return [c for _p, c in pairs_of_records(session, [record.id])]


def test_declining_from_the_inbox_needs_a_reason_and_keeps_it(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str, manager: Viewer
) -> None:
    with Session(demo_engine) as session:
        waiting = _pending_for(session, manager)
    at = open_team(monkeypatch, demo_url)

    at.selectbox(key="verify_record").select(waiting[0])
    at.radio(key="verify_answer").set_value("Decline")
    at.button(key="FormSubmitter:verification-Send answer").click().run()
    assert [w.value for w in at.warning] == [
        "Say why you are declining, so they know what would change it."
    ]

    at.selectbox(key="verify_record").select(waiting[0])
    at.radio(key="verify_answer").set_value("Decline")
    at.text_area(key="verify_reason").input("I did not see this work")
    at.button(key="FormSubmitter:verification-Send answer").click().run()

    with Session(demo_engine) as session:
        record = session.get(LearningRecord, waiting[0])
        assert record is not None
        assert record.verification is Verification.DECLINED
        reasons = decline_reasons(session, manager, record.person_id)
        assert reasons[waiting[0]] == "I did not see this work"
        for competency_id in _competencies_of(session, record):
            _assert_materialised_matches_engine(session, record.person_id, competency_id)
    assert next(s.value for s in at.success).startswith("Declined: ")


def test_downloads_are_real_csv_and_excel_with_formulas_neutralised_and_audited(
    monkeypatch: pytest.MonkeyPatch,
    demo_engine: Engine,
    demo_url: str,
    manager: Viewer,
    downloads: dict[str, bytes],
) -> None:
    with Session(demo_engine) as session, session.begin():
        learner = demo_personas(session)["learner"]
        session.execute(
            update(Person)
            .where(Person.id == learner.person_id)
            .values(name='=HYPERLINK("http://evil.example","Click")')
        )
    at = open_team(monkeypatch, demo_url)
    table = at.dataframe[0].value

    csv = pd.read_csv(io.BytesIO(downloads["my-team.csv"]), encoding="utf-8-sig")
    assert list(csv.columns[:5]) == ["Name", "Job family", "Title", "Level attained", "Next level"]
    assert "Title and evidence" in csv.columns
    assert csv["Readiness"].max() <= 1
    assert len(csv) == len(table)
    assert '\'=HYPERLINK("http://evil.example","Click")' in csv["Name"].tolist()
    assert not any(str(name).startswith("=") for name in csv["Name"])
    sheet = openpyxl.load_workbook(io.BytesIO(downloads["my-team.xlsx"])).active
    assert sheet is not None
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(names) == len(table)
    assert all(not str(name).startswith("=") for name in names)
    assert any(str(name).startswith("'=HYPERLINK") for name in names)
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)

    at.get("download_button")[1].click().run()

    with Session(demo_engine) as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).one()
        assert (entry.actor, entry.target_type, entry.target_id) == (
            manager.email, "team", "my-team.csv",
        )  # fmt: skip
        assert entry.details == {"rows": len(table)}


def test_their_learning_goals_show_with_progress(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str, manager: Viewer
) -> None:
    with Session(demo_engine) as session, session.begin():
        learner = demo_personas(session)["learner"]
        assert learner.person_id is not None
        competency_id = find_competency(session, "PR-COMM")
        goal = {"competency_id": competency_id, "target_level": 5.0,
                "target_date": (NOW + timedelta(days=90)).date()}  # fmt: skip
        set_goal(session, learner, learner.person_id, goal)
        expected = people_goals(session, manager, [learner.person_id])
    at = open_team(monkeypatch, demo_url)

    goals = table_with(at, "target")
    assert goals["name"].tolist() == [learner.name]
    assert goals["target"].tolist() == ["Communication to level 5"]
    assert percent_cells(at, "progress") == whole_percents(expected["progress"].tolist())


def test_an_open_role_ranks_internal_candidates_with_their_gaps(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str, manager: Viewer
) -> None:
    with Session(demo_engine) as session:
        expected = candidates(session, manager, "DATA", 3)
        families = dict(session.execute(select(JobFamily.code, JobFamily.name)).all())
    at = open_team(monkeypatch, demo_url)

    at.selectbox(key="open_role").select(("DATA", 3)).run()

    ranked = table_with(at, "hours")
    assert ranked["name"].tolist() == [c.name for c in expected]
    assert ranked["readiness"].tolist() == pytest.approx([c.readiness * 100 for c in expected])
    assert percent_cells(at, "readiness", "hours") == whole_percents(
        [c.readiness for c in expected]
    )
    assert ranked["gaps"].tolist() == [", ".join(g.name for g in c.gaps) or "None"
                                       for c in expected]  # fmt: skip
    assert ranked["job_family"].tolist() == [families.get(c.job_family or "") for c in expected]


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    [found] = [table.value for table in at.dataframe if column in table.value.columns]
    return found


def test_clicking_a_heatmap_cell_explains_that_gap(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str, manager: Viewer
) -> None:
    assert manager.person_id is not None
    with Session(demo_engine) as session:
        progress = team_progress(session, manager, manager.person_id)
    person, gap = next((p, p.gaps[-1]) for p in progress.people if p.gaps)
    at = open_team(monkeypatch, demo_url)

    at.session_state["team_heatmap"] = {
        "selection": {"points": [{"x": gap.competency, "y": person.name}], "point_indices": [0],
                      "box": [], "lasso": []}
    }  # fmt: skip
    at.run()

    assert at.selectbox(key="explain_gap").value == (person.name, gap.competency)
    with Session(demo_engine) as session:
        competency_id = find_competency(session, gap.competency)
        expected = explain_mastery(session, manager, person.person_id, competency_id)
    if expected.summary:
        assert [len(shown) for shown in explanations(at)] == [len(expected.evidence)]
    else:
        assert any("has no usable evidence on this competency" in i.value for i in at.info)


def test_without_a_framework_the_page_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'roster-only.db'}"
    engine = open_database(url)
    with Session(engine) as session, session.begin():
        manager = Person(external_id="M", name="Mara Manager", email="m@example.org")
        session.add(manager)
        session.flush()
        session.add(Person(external_id="P", name="Pat Report", email="p@example.org",
                           manager_id=manager.id))  # fmt: skip
    engine.dispose()

    at = open_team(monkeypatch, url)

    assert [t.value for t in at.title] == ["My team"]
    assert any(i.value.startswith("No framework is loaded yet") for i in at.info)
    assert not at.dataframe


def _self_rated_and_attested(engine: Engine, manager: Viewer) -> str:
    """The manager's first report rates themselves 5 on a competency they had no records of,
    and the manager attests 0.5 on it: a gap of 4.5 levels. Returns the competency's name."""
    with Session(engine) as session, session.begin():
        report = session.scalars(
            select(Person).where(Person.manager_id == manager.person_id).order_by(Person.id)
        ).first()
        assert report is not None
        held = select(LearningRecord.competency_id).where(
            LearningRecord.person_id == report.id, LearningRecord.competency_id.is_not(None)
        )
        competency = session.scalars(
            select(Competency).where(Competency.id.not_in(held)).order_by(Competency.id)
        ).first()
        assert competency is not None
        rating = {"competency_id": competency.id, "rating": 5.0, "note": "I lead on it"}
        rate_myself(session, viewer_for_person(session, report), report.id, rating)
        attest(session, manager, report.id, competency.id, 0.5, "Not seen it yet")
        return competency.name


def test_self_ratings_against_the_evidence_are_worked_out_on_request(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str, manager: Viewer
) -> None:
    reports = {"manager_id": manager.person_id, "all_levels": False}
    with Session(demo_engine) as session:
        before = calibration_of(session, manager, **reports).set_index("name")
    name = _self_rated_and_attested(demo_engine, manager)
    with Session(demo_engine) as session:
        expected = calibration_of(session, manager, **reports)
    at = open_team(monkeypatch, demo_url)
    assert_calibration_shown(at, "team_calibration", expected, before, name)
    assert any("never proof" in caption.value for caption in at.caption)
