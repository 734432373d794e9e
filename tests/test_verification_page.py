"""Stranded verification requests through the pages (AppTest on a SQLite demo, signed in):
the learner re-sends one from My progress, and L&D sees it listed on Access and audit.

The request is stranded the way a roster import strands it: the demo learner logs informal
learning while on another manager's team, asking that manager, and is then moved back to the
team the demo gives them. Their old manager is no longer above them, so no inbox offers it.
"""

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

import data_model.config
from data_model import informal
from data_model.access import Viewer, visible_people
from data_model.database import open_database
from data_model.models import AuditEntry, LearningRecord, Person
from data_model.queries import demo_personas
from data_model.verification import verification_inbox
from loaders.demo import seed_demo_organisation

PROJECT_ROOT = Path(__file__).resolve().parent.parent
APP = str(PROJECT_ROOT / "app.py")
TITLE = "Mentored the new analysts"
SIGN_IN_SECRETS = {"auth": {"redirect_uri": "http://127.0.0.1:8501/oauth2callback"}}


@dataclass(frozen=True)
class Stranded:
    url: str
    engine: Engine
    record_id: int
    learner: Viewer
    manager: Viewer
    ld_admin: Viewer
    old_manager: str


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("stranded_demo") / "pathwise.db"
    engine = open_database(f"sqlite:///{path}")
    seed_demo_organisation(engine, people=40)
    engine.dispose()
    return path


@pytest.fixture
def stranded(
    demo_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Stranded]:
    """A fresh copy of the demo in which the learner's request waits on their old manager."""
    path = tmp_path / "pathwise.db"
    shutil.copy(demo_template, path)
    url = f"sqlite:///{path}"
    engine = open_database(url)
    with Session(engine) as session, session.begin():
        personas = demo_personas(session)
        learner, manager = personas["learner"], personas["manager"]
        person = session.get(Person, learner.person_id)
        assert person is not None
        below = set(session.scalars(visible_people(learner)))
        above = set(informal.verifier_options(session, learner, person.id)["person_id"])
        old = session.scalars(
            select(Person)
            .where(Person.active.is_(True), Person.id.not_in(below | above))
            .order_by(Person.id)
        ).first()
        assert old is not None
        person.manager_id = old.id
        session.flush()
        entry = {"title": TITLE, "kind": "mentoring", "level": 2.0, "verifier_id": old.id,
                 "competency_ids": (_a_competency(session),),
                 "occurred_on": datetime.now(UTC).date()}  # fmt: skip
        logged = informal.log_informal_learning(session, learner, person.id, entry)
        person.manager_id = manager.person_id
        old_name = old.name
    monkeypatch.chdir(PROJECT_ROOT)
    monkeypatch.setenv("PATHWISE_DB_URL", url)
    monkeypatch.setattr(data_model.config, "load_secrets", lambda: SIGN_IN_SECRETS)
    st.cache_data.clear()
    yield Stranded(
        url, engine, logged.record_ids[0], learner, manager, personas["ld_admin"], old_name
    )
    engine.dispose()


def _a_competency(session: Session) -> int:
    return int(informal.competency_options(session)["competency_id"].iloc[0])


def signed_in(viewer: Viewer) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.user = {"is_logged_in": True, "email": viewer.email, "name": viewer.name}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def table_with(at: AppTest, column: str):
    return next(frame.value for frame in at.dataframe if column in frame.value.columns)


def test_the_learner_sees_a_stranded_request_and_sends_it_to_their_manager_now(
    stranded: Stranded,
) -> None:
    at = signed_in(stranded.learner)

    [warning] = [w.value for w in at.warning if "can no longer verify" in w.value]
    assert warning.startswith("1 of your pending records wait on someone")
    shown = table_with(at, "why")
    assert shown["what"].tolist() == [TITLE]
    assert shown["verifier"].tolist() == [stranded.old_manager]
    assert shown["why"].tolist() == ["No longer in the reporting line"]
    before = table_with(at, "decline_reason").pipe(lambda t: t[t["what"] == TITLE])
    assert before["verifier"].tolist() == [f"{stranded.old_manager} (can no longer answer)"]

    at.selectbox(key="reassign_verifier").set_value(stranded.manager.person_id)
    at.button(key="FormSubmitter:reassign_form-Send for verification").click().run()

    assert not at.exception, [e.value for e in at.exception]
    assert f"Sent 1 record(s) to {stranded.manager.name} to verify." in [
        s.value for s in at.success
    ]
    assert not [w for w in at.warning if "can no longer verify" in w.value]
    timeline = table_with(at, "verifier").set_index("what")
    assert timeline.loc[TITLE, "verifier"] == stranded.manager.name
    with Session(stranded.engine) as session:
        record = session.get(LearningRecord, stranded.record_id)
        assert record is not None
        assert record.verified_by_id == stranded.manager.person_id
        inbox = verification_inbox(session, stranded.manager)
        assert stranded.record_id in inbox["record_id"].tolist()
        [entry] = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "verification_reassigned")
        )
    assert entry.actor == stranded.learner.email


def test_ld_admins_see_stranded_requests_on_access_and_audit(stranded: Stranded) -> None:
    at = signed_in(stranded.ld_admin)
    at.switch_page("app_pages/admin.py").run()
    assert not at.exception, [e.value for e in at.exception]

    assert "Verification requests no one can answer" in [s.value for s in at.subheader]
    listed = table_with(at, "why")
    assert listed["person"].tolist() == [stranded.learner.name]
    assert listed["what"].tolist() == [TITLE]
    assert listed["verifier"].tolist() == [stranded.old_manager]
    assert listed["why"].tolist() == ["No longer in the reporting line"]
