"""My progress: the learner's own writes (informal learning, self-rating) on both backends, and
the page as a learner gets it through AppTest, every number checked against the read models.

Pending informal learning: the engine weighs a record awaiting verification as a self report
(trust 0.3), so it moves mastery a little but cannot meet a requirement alone (0.3 < the
minimum support 0.5); once verified by someone else it weighs at least as an attestation.
"""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import streamlit as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from data_model import credentials, goals, informal
from data_model.access import NotPermitted, Viewer, viewer_for_person
from data_model.attestation import attest
from data_model.database import open_database
from data_model.models import AuditEntry, LearningRecord, Person, SourceKind, Verification
from data_model.queries import demo_personas, person_calibration
from data_model.queries.groups import closest_roles
from data_model.queries.learner import evidence_timeline
from data_model.queries.mastery import explain_mastery, find_competency, person_mastery
from data_model.queries.progress import person_progress
from data_model.rollup import refresh_pairs
from data_model.verification import decline
from loaders.demo import seed_demo_organisation
from tests.learner_org import Org, build_org
from tests.page_tables import percent_cells, whole_percents

PROJECT_ROOT = Path(__file__).resolve().parent.parent
APP = str(PROJECT_ROOT / "app.py")
TODAY = datetime.now(UTC).date()


@pytest.fixture
def org(engine: Engine) -> Org:
    return build_org(engine)


def log(engine: Engine, org: Org, who: str = "P", **entry: Any) -> informal.Logged:
    values = {"occurred_on": TODAY, "verifier_id": org.people["M"]} | entry
    with Session(engine) as session, session.begin():
        return informal.log_informal_learning(
            session, org.viewer(engine, who), org.people[who], values
        )


def progress_of(engine: Engine, org: Org, who: str = "P"):
    with Session(engine) as session:
        return person_progress(session, org.viewer(engine, who), org.people[who])


# Informal learning -----------------------------------------------------------------------------


def test_free_text_learning_is_stored_pending_with_the_verifier_asked(
    engine: Engine, org: Org
) -> None:
    link = "https://wiki.example/review"
    b = org.competencies["B"]
    logged = log(engine, org, title="Ran the build review", kind="project", level=3,
                 competency_ids=(b,), link=link)  # fmt: skip

    with Session(engine) as session:
        [stored] = session.scalars(
            select(LearningRecord).where(LearningRecord.id.in_(logged.record_ids))
        ).all()
        audit = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "informal_learning_logged")
        ).all()
    assert stored.verification == Verification.PENDING
    assert stored.verified_by_id == org.people["M"]
    assert stored.source_kind == SourceKind.PROJECT
    assert stored.rating == 3.0
    assert stored.competency_id == org.competencies["B"]
    assert stored.raw is not None
    assert stored.raw["link"] == "https://wiki.example/review"
    assert "Ran the build review" in stored.notes
    assert [entry.actor for entry in audit] == ["p@example.com"]
    assert audit[0].details["verifier_id"] == org.people["M"]


def test_pending_learning_weighs_as_a_self_report_and_meets_nothing_until_verified(
    engine: Engine, org: Org
) -> None:
    b = org.competencies["B"]
    logged = log(engine, org, title="Built the pipeline", kind="project", level=3,
                 competency_ids=(b,))  # fmt: skip
    viewer = org.viewer(engine, "P")

    with Session(engine) as session:
        pending = explain_mastery(session, viewer, org.people["P"], b)
    assert pending.evidence["trust"].tolist() == [pytest.approx(0.3)]
    assert pending.evidence["verification"].tolist() == ["pending"]
    gaps = {gap.competency: gap.missing for gap in progress_of(engine, org).gaps}
    assert gaps["B"] == "more trusted evidence"

    with Session(engine) as session, session.begin():
        record = session.get(LearningRecord, logged.record_ids[0])
        assert record is not None
        record.verification = Verification.VERIFIED
        record.verified_at = datetime.now(UTC)
        session.flush()
        refresh_pairs(session, [(org.people["P"], b)])

    with Session(engine) as session:
        verified = explain_mastery(session, viewer, org.people["P"], b)
    assert verified.evidence["trust"].tolist() == [pytest.approx(0.8)]
    assert "B" not in {gap.competency for gap in progress_of(engine, org).gaps}


def test_a_catalogue_activity_gives_one_pending_record_per_competency_it_teaches(
    engine: Engine, org: Org
) -> None:
    logged = log(engine, org, activity_id=org.activities["Project AB"])

    assert sorted(logged.competency_ids) == sorted([org.competencies["A"], org.competencies["B"]])
    with Session(engine) as session:
        stored = session.scalars(
            select(LearningRecord).where(LearningRecord.id.in_(logged.record_ids))
        ).all()
    assert {r.activity_id for r in stored} == {org.activities["Project AB"]}
    assert {r.verification for r in stored} == {Verification.PENDING}
    assert {r.source_kind for r in stored} == {SourceKind.PROJECT}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"title": ""}, "Choose an activity from the catalogue, or describe what you did."),
        ({"competency_ids": ()}, "Choose at least one competency"),
        ({"level": None}, "Say what level"),
        ({"level": 7}, "Choose a level from 0 to 5."),
        ({"occurred_on": TODAY + timedelta(days=1)}, "The date cannot be in the future."),
        ({"link": "javascript:alert(1)"}, "A link starts with https:// or http://."),
        ({"verifier": "O"}, "Ask someone you report to"),
        ({"verifier": "X"}, "Ask someone you report to"),
        ({"activity": "Course A", "competencies": "B"}, "does not teach every competency"),
    ],
)  # fmt: skip
def test_informal_learning_that_cannot_be_recorded_is_refused_with_a_reason(
    engine: Engine, org: Org, entry: dict[str, Any], message: str
) -> None:
    values: dict[str, Any] = {"title": "Something", "kind": "project", "level": 2,
                              "competency_ids": (org.competencies["A"],)}  # fmt: skip
    values |= {key: value for key, value in entry.items()
               if key not in {"verifier", "activity", "competencies"}}  # fmt: skip
    if "verifier" in entry:
        values["verifier_id"] = org.people[entry["verifier"]]
    if "activity" in entry:
        values["activity_id"] = org.activities[entry["activity"]]
        values["competency_ids"] = (org.competencies[entry["competencies"]],)

    with pytest.raises(informal.InvalidEntry, match=message):
        log(engine, org, **values)
    with Session(engine) as session:
        assert (
            session.scalars(select(LearningRecord.id)).all()
            == session.scalars(
                select(LearningRecord.id).where(LearningRecord.dedupe_key == "p-a-2")
            ).all()
        )


def test_only_the_learner_logs_their_learning_or_rates_themselves(engine: Engine, org: Org) -> None:
    manager = org.viewer(engine, "M")
    with pytest.raises(NotPermitted), Session(engine) as session:
        informal.log_informal_learning(
            session, manager, org.people["P"],
            {"title": "x", "competency_ids": (org.competencies["A"],), "level": 2,
             "occurred_on": TODAY, "verifier_id": org.people["M"]},
        )  # fmt: skip
    with pytest.raises(NotPermitted), Session(engine) as session:
        informal.rate_myself(session, manager, org.people["P"],
                             {"competency_id": org.competencies["A"], "rating": 2})  # fmt: skip


def test_verifiers_are_the_people_above_the_learner_nearest_first(engine: Engine, org: Org) -> None:
    with Session(engine) as session:
        options = informal.verifier_options(session, org.viewer(engine, "X"), org.people["X"])

    assert options["person_id"].tolist() == [org.people["P"], org.people["M"]]
    assert options["distance"].tolist() == [1, 2]


def test_a_self_rating_is_a_self_report_that_refreshes_mastery_and_is_audited(
    engine: Engine, org: Org
) -> None:
    viewer = org.viewer(engine, "P")
    v = org.competencies["V"]
    with Session(engine) as session, session.begin():
        rating = {"competency_id": v, "rating": 3.5, "note": "Ran our ERG"}
        rated = informal.rate_myself(session, viewer, org.people["P"], rating)
    refused = pytest.raises(informal.InvalidEntry, match=r"Choose a rating from 0 to 5\.")
    with refused, Session(engine) as session:
        informal.rate_myself(session, viewer, org.people["P"], {"competency_id": v, "rating": 9})

    with Session(engine) as session:
        stored = session.get(LearningRecord, rated.record_id)
        mastery = person_mastery(session, viewer, org.people["P"]).set_index("competency")
        actions = session.scalars(select(AuditEntry.action)).all()
    assert stored is not None
    assert stored.source_kind == SourceKind.SELF_REPORT
    assert stored.verification == Verification.NOT_NEEDED
    assert mastery.loc["V", "mastery"] == pytest.approx(3.5)
    assert not mastery.loc["V", "met_proficient"]
    assert actions == ["self_rating"]


def test_the_timeline_lists_formal_and_informal_records_newest_first(
    engine: Engine, org: Org
) -> None:
    log(engine, org, activity_id=org.activities["Project AB"],
        occurred_on=TODAY - timedelta(days=3))  # fmt: skip
    with Session(engine) as session, session.begin():
        session.add(
            LearningRecord(
                dedupe_key="course", person_id=org.people["P"],
                activity_id=org.activities["Course A"], completed=True,
                occurred_at=datetime.now(UTC) - timedelta(days=10), source_kind=SourceKind.COURSE,
            )
        )  # fmt: skip
    with Session(engine) as session:
        timeline = evidence_timeline(session, org.viewer(engine, "M"), org.people["P"])
        with pytest.raises(NotPermitted):
            evidence_timeline(session, org.viewer(engine, "O"), org.people["P"])

    assert timeline["what"].tolist() == [
        "Attestation: Analysis 2",
        "Project AB",
        "Project AB",
        "Course A",
    ]
    assert timeline["formal"].tolist() == [False, False, False, True]
    assert timeline["verification"].tolist() == ["verified", "pending", "pending", "not_needed"]
    assert timeline["verifier"].tolist()[:3] == ["Person M"] * 3
    assert timeline["competencies"].tolist()[-1] == "A"


def test_declined_learning_shows_on_the_timeline_with_the_reason(engine: Engine, org: Org) -> None:
    declined = log(engine, org, title="Gave a talk", kind="project", level=3,
                   competency_ids=(org.competencies["B"],))  # fmt: skip
    log(engine, org, title="Wrote a guide", kind="project", level=2,
        competency_ids=(org.competencies["B"],))  # fmt: skip
    with Session(engine) as session, session.begin():
        decline(session, org.viewer(engine, "M"), declined.record_ids[0], "No link to the talk")
    with Session(engine) as session:
        timeline = evidence_timeline(session, org.viewer(engine, "P"), org.people["P"])

    rows = timeline.set_index("what")
    assert rows.loc["Gave a talk", "verification"] == "declined"
    assert rows.loc["Gave a talk", "decline_reason"] == "No link to the talk"
    assert rows.loc["Wrote a guide", "verification"] == "pending"
    assert pd.isna(rows.loc["Wrote a guide", "decline_reason"])


# The page ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('progress') / 'pathwise.db'}"
    engine = open_database(url)
    seed_demo_organisation(engine, people=40)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def demo_engine(demo_url: str) -> Iterator[Engine]:
    engine = open_database(demo_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def learner(demo_engine: Engine) -> Viewer:
    with Session(demo_engine) as session:
        return demo_personas(session)["learner"]


def open_page(monkeypatch: pytest.MonkeyPatch, url: str) -> AppTest:
    monkeypatch.chdir(PROJECT_ROOT)
    monkeypatch.setenv("PATHWISE_DB_URL", url)
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def table_with(at: AppTest, column: str):
    return next(frame.value for frame in at.dataframe if column in frame.value.columns)


def test_the_headline_shows_the_learners_level_readiness_status_and_forecast(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str, learner: Viewer
) -> None:
    assert learner.person_id is not None
    with Session(demo_engine) as session:
        expected = person_progress(session, learner, learner.person_id)

    at = open_page(monkeypatch, demo_url)

    shown = metrics(at)
    assert shown["Level attained"].startswith(f"{expected.attained_level} · ")
    assert shown["Next level"].startswith(f"{expected.next_level} · ")
    assert shown["Readiness"] == f"{expected.readiness:.0%}"
    assert expected.forecast_ready is not None
    assert shown["Forecast ready"] == datetime.strptime(expected.forecast_ready, "%Y-%m").strftime(
        "%b %Y"
    )
    readiness = next(metric for metric in at.metric if metric.label == "Readiness")
    change = round((expected.readiness - expected.readiness_history[0][1]) * 100)
    assert readiness.delta == (f"{change:+d} points in a year" if change else "")
    gaps = table_with(at, "missing")
    assert gaps["competency"].tolist() == [gap.name for gap in expected.gaps]
    with Session(demo_engine) as session:
        compared = person_calibration(session, learner, learner.person_id)
    assert len(at.get("plotly_chart")) == 4 + (not compared.empty)
    assert any(caption.value.startswith("Technical: ") for caption in at.caption)
    assert any(caption.value.startswith("Professional and values: ") for caption in at.caption)


def test_choosing_a_score_opens_its_explanation(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str, learner: Viewer
) -> None:
    assert learner.person_id is not None
    at = open_page(monkeypatch, demo_url)
    with Session(demo_engine) as session:
        mastery = person_mastery(session, learner, learner.person_id).set_index("competency")
    chosen = str(mastery.index[0])

    at.selectbox(key=f"explain_{learner.person_id}").set_value(chosen).run()

    assert not at.exception, [e.value for e in at.exception]
    [expander] = at.expander
    assert expander.label.startswith("How ")
    with Session(demo_engine) as session:
        explained = explain_mastery(
            session, learner, learner.person_id, find_competency(session, chosen)
        )
    assert f"Mastery **{explained.summary['mastery']:.2f}**" in expander.markdown[0].value
    evidence = expander.dataframe[0].value
    assert len(evidence) == len(explained.evidence)
    assert evidence["share"].sum() == pytest.approx(explained.evidence["share"].sum())


def test_logging_informal_learning_shows_it_pending(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str, learner: Viewer
) -> None:
    assert learner.person_id is not None
    with Session(demo_engine) as session:
        competency = int(informal.competency_options(session)["competency_id"].iloc[0])
        asked = informal.verifier_options(session, learner, learner.person_id).iloc[0]
    verifier = str(asked["name"])
    at = open_page(monkeypatch, demo_url)

    at.text_input(key="informal_title").input("Ran the quarterly data review")
    at.multiselect(key="informal_competencies").select(competency)
    at.slider(key="informal_level").set_value(3)
    at.selectbox(key="informal_verifier").set_value(int(asked["person_id"]))
    at.button(key="FormSubmitter:informal_form-Log learning").click().run()

    assert not at.exception, [e.value for e in at.exception]
    assert [s.value for s in at.success][:1] == [
        f"Logged 1 record(s), pending until {verifier} verifies them."
    ]
    timeline = table_with(at, "verifier")
    row = timeline.iloc[0]
    assert row["what"] == "Ran the quarterly data review"
    assert row["verification"] == "Pending"
    assert row["verifier"] == verifier
    with Session(demo_engine) as session:
        stored = session.scalars(
            select(LearningRecord).where(LearningRecord.notes.like("Ran the quarterly%"))
        ).one()
    assert stored.person_id == learner.person_id
    assert stored.verification == Verification.PENDING


def test_a_self_rating_lands_on_the_timeline(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str, learner: Viewer
) -> None:
    with Session(demo_engine) as session:
        options = informal.competency_options(session)
    competency_id, competency = options[["competency_id", "name"]].iloc[-1]
    at = open_page(monkeypatch, demo_url)

    at.selectbox(key="rating_competency").set_value(int(competency_id))
    at.slider(key="rating_value").set_value(4.5)
    at.button(key="FormSubmitter:rating_form-Save rating").click().run()

    assert not at.exception, [e.value for e in at.exception]
    assert "Self-rating saved." in [s.value for s in at.success]
    assert table_with(at, "verifier").iloc[0]["what"] == f"Self report: {competency} 4.5"


def test_a_self_rating_above_the_managers_attestation_shows_as_a_gap(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str, learner: Viewer
) -> None:
    assert learner.person_id is not None
    with Session(demo_engine) as session, session.begin():
        person = session.get(Person, learner.person_id)
        assert person is not None
        assert person.manager is not None
        manager = viewer_for_person(session, person.manager)
        options = informal.competency_options(session)
        competency_id, name = options[["competency_id", "name"]].iloc[0]
        attest(session, manager, learner.person_id, int(competency_id), 1.0, "Seen in review")
    at = open_page(monkeypatch, demo_url)

    at.selectbox(key="rating_competency").set_value(int(competency_id))
    at.slider(key="rating_value").set_value(5.0)
    at.button(key="FormSubmitter:rating_form-Save rating").click().run()

    assert not at.exception, [e.value for e in at.exception]
    assert "How my self-ratings compare" in [s.value for s in at.subheader]
    with Session(demo_engine) as session:
        expected = person_calibration(session, learner, learner.person_id)
    shown = table_with(at, "self_rating")
    assert shown["name"].tolist() == expected["name"].tolist()
    assert shown["gap"].tolist() == pytest.approx(expected["gap"].tolist())
    row = shown.set_index("name").loc[name]
    assert row["gap"] == pytest.approx(row["self_rating"] - row["others_mastery"])
    assert row["self_rating"] > row["others_mastery"]
    assert row["direction"] == "Rates above the evidence"
    assert any("never proof" in caption.value for caption in at.caption)


def test_declined_learning_shows_its_reason_to_the_learner(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str, learner: Viewer
) -> None:
    assert learner.person_id is not None
    with Session(demo_engine) as session, session.begin():
        competency = int(informal.competency_options(session)["competency_id"].iloc[0])
        verifier_id = int(
            informal.verifier_options(session, learner, learner.person_id).iloc[0]["person_id"]
        )
        entry = {"title": "Presented at the meetup", "kind": "project", "level": 3.0,
                 "competency_ids": (competency,), "occurred_on": TODAY,
                 "verifier_id": verifier_id}  # fmt: skip
        logged = informal.log_informal_learning(session, learner, learner.person_id, entry)
        verifier = session.get(Person, verifier_id)
        assert verifier is not None
        decline(session, viewer_for_person(session, verifier), logged.record_ids[0],
                "I was not at the meetup; ask someone who was")  # fmt: skip

    st.cache_data.clear()  # the answer came from outside the page, whose reads are cached
    at = open_page(monkeypatch, demo_url)

    timeline = table_with(at, "decline_reason").set_index("what")
    assert timeline.loc["Presented at the meetup", "verification"] == "Declined"
    assert timeline.loc["Presented at the meetup", "decline_reason"] == (
        "I was not at the meetup; ask someone who was"
    )
    assert any("declined count for nothing" in caption.value for caption in at.caption)


def test_setting_a_goal_shows_its_progress(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str, learner: Viewer
) -> None:
    assert learner.person_id is not None
    with Session(demo_engine) as session:
        role = goals.role_options(session).iloc[-1]
    at = open_page(monkeypatch, demo_url)

    at.selectbox(key="goal_role").set_value(f"{role['job_family']}:{role['rank']}")
    at.button(key="FormSubmitter:goal_role_form-Set goal").click().run()

    assert not at.exception, [e.value for e in at.exception]
    with Session(demo_engine) as session:
        expected = goals.goals_with_progress(session, learner, learner.person_id)
    shown = table_with(at, "progress")
    assert shown["target"].iloc[-1] == f"{role['title']} ({role['job_family_name']})"
    assert (shown["progress"] / 100).tolist() == pytest.approx(expected["progress"].tolist())
    assert percent_cells(at, "progress", "target") == whole_percents(expected["progress"].tolist())
    assert shown["target"].tolist() == expected["target"].tolist()


def test_the_closest_roles_show_readiness_as_whole_percentages(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str, learner: Viewer
) -> None:
    assert learner.person_id is not None
    with Session(demo_engine) as session:
        expected = closest_roles(session, learner, learner.person_id)
    assert not expected.empty
    at = open_page(monkeypatch, demo_url)

    shown = table_with(at, "catalogue_hours")
    assert (
        shown["role"].tolist()
        == (expected["level"] + " (" + expected["job_family_name"] + ")").tolist()
    )
    assert (shown["readiness"] / 100).tolist() == pytest.approx(expected["readiness"].tolist())
    assert percent_cells(at, "readiness", "catalogue_hours") == whole_percents(
        expected["readiness"].tolist()
    )


def test_the_record_downloads_are_valid_json_and_pdf_and_audited(
    monkeypatch: pytest.MonkeyPatch,
    demo_engine: Engine,
    demo_url: str,
    learner: Viewer,
    downloads: dict[str, bytes],
) -> None:
    assert learner.person_id is not None
    at = open_page(monkeypatch, demo_url)
    with Session(demo_engine) as session:
        achieved = credentials.achieved_competencies(session, learner, learner.person_id)

    clr = json.loads(next(data for name, data in downloads.items() if name.endswith(".json")))
    pdf = next(data for name, data in downloads.items() if name.endswith(".pdf"))
    carried = clr["credentialSubject"]["verifiableCredential"]
    assert clr["type"] == ["VerifiableCredential", "ClrCredential"]
    assert sorted(b["credentialSubject"]["achievement"]["alignment"][0]["targetCode"]
                  for b in carried) == sorted(achieved["code"])  # fmt: skip
    assert pdf.startswith(b"%PDF-")

    at.download_button(key="download_clr").click().run()

    with Session(demo_engine) as session:
        [entry] = session.scalars(
            select(AuditEntry).where(AuditEntry.target_type == "learner_record_clr")
        ).all()
    assert entry.actor == learner.email
    assert entry.details["competencies"] == len(achieved)


def drill_down() -> None:
    """A page that shows `drill_person`'s progress read-only, as the manager page does."""
    import streamlit as st

    from ui.context import page_context
    from ui.progress_view import render_progress

    render_progress(page_context(), st.session_state["drill_person"], read_only=True)


def open_drill_down(
    monkeypatch: pytest.MonkeyPatch, url: str, role: str, person_id: int
) -> AppTest:
    at = open_page(monkeypatch, url)
    at.selectbox(key="view_as").select(role).run()
    page = AppTest.from_function(drill_down, default_timeout=180)
    page.session_state["pathwise_context"] = at.session_state["pathwise_context"]
    page.session_state["drill_person"] = person_id
    page.run()
    assert not page.exception, [e.value for e in page.exception]
    return page


def test_the_read_only_view_shows_a_report_without_forms_or_downloads(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str
) -> None:
    with Session(demo_engine) as session:
        manager = demo_personas(session)["manager"]
        report = session.scalars(
            select(Person).where(Person.manager_id == manager.person_id).order_by(Person.id)
        ).first()
        assert report is not None
        expected = person_progress(session, manager, report.id)

    page = open_drill_down(monkeypatch, demo_url, "manager", report.id)

    assert next(s.value for s in page.subheader) == report.name
    assert metrics(page)["Readiness"] == (
        "—" if expected.readiness is None else f"{expected.readiness:.0%}"
    )
    subheaders = [s.value for s in page.subheader]
    assert "Learning goals" in subheaders
    assert "Add to your record" not in subheaders
    assert "Take your record with you" not in subheaders
    assert not page.get("download_button")
    assert not page.get("form")


def test_someone_with_no_pathway_and_no_evidence_is_told_what_to_do_next(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str
) -> None:
    with Session(demo_engine) as session, session.begin():
        newcomer = Person(external_id="new-1", name="Nova Newcomer", email="nova@example.com")
        session.add(newcomer)
        session.flush()
        newcomer_id = newcomer.id

    page = open_drill_down(monkeypatch, demo_url, "ld_admin", newcomer_id)

    shown = metrics(page)
    assert shown["Level attained"] == "—"
    assert shown["Status"] == "No pathway"
    assert any(info.value.startswith("Not on a pathway yet") for info in page.info)
    captions = [caption.value for caption in page.caption]
    assert "No goals set yet." in captions
    assert any(caption.startswith("No scores yet") for caption in captions)
    assert any(caption.startswith("Nothing to draw yet") for caption in captions)
    assert any(caption.startswith("Nothing to compare yet") for caption in captions)
