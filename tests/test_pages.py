"""The app as a person gets it, driven through Streamlit's AppTest on a demo database.

Expected numbers come from the read models run directly on the same database, so a page
that shows the wrong person's data, or stale or made-up numbers, fails here.
"""

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

import data_model.config
from data_model.access import Viewer
from data_model.database import open_database
from data_model.goals import role_options
from data_model.models import Person
from data_model.queries import (
    demo_personas,
    evidence_totals,
    organisation_headcount,
    organisation_totals,
    team_overview,
)
from data_model.queries.freshness import quiet_people
from data_model.queries.groups import group_progress
from data_model.queries.progress import person_progress
from loaders.demo import seed_demo_organisation
from ui.progress_view import STATUS_TEXT, level_text, month_text, percent

PROJECT_ROOT = Path(__file__).resolve().parent.parent
APP = str(PROJECT_ROOT / "app.py")
BANNER = "Demo mode: no sign-in is configured, so anyone can view as anyone."
PAGES = {
    "my_progress": "app_pages/my_progress.py",
    "my_team": "app_pages/my_team.py",
    "organisation": "app_pages/organisation.py",
}
TITLES = {"my_progress": "My progress", "my_team": "My team", "organisation": "Organisation"}
ROLE_LABELS = {"learner": "learner", "manager": "manager", "ld_admin": "L&D admin"}


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'pathwise.db'}"
    engine = open_database(url)
    seed_demo_organisation(engine, people=60)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def demo_session(demo_url: str) -> Iterator[Session]:
    engine = open_database(demo_url)
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.fixture(scope="module")
def personas(demo_session: Session) -> dict[str, Viewer]:
    found = demo_personas(demo_session)
    assert set(found) == {"learner", "manager", "ld_admin"}
    return found


@pytest.fixture
def in_project(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings are read from the working directory, as when running `streamlit run app.py`."""
    monkeypatch.chdir(PROJECT_ROOT)


def open_app(monkeypatch: pytest.MonkeyPatch, url: str, role: str | None = None) -> AppTest:
    monkeypatch.setenv("PATHWISE_DB_URL", url)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    if role is not None:
        at.selectbox(key="view_as").select(role).run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def day(when: datetime) -> str:
    return f"{when.day} {when:%b %Y}"


def expected_metrics(session: Session, viewer: Viewer, page: str) -> dict[str, str]:
    assert viewer.person_id is not None
    if page == "my_progress":
        progress = person_progress(session, viewer, viewer.person_id)
        titles = role_options(session)
        return {
            "Level attained": level_text(titles, progress.job_family, progress.attained_level),
            "Next level": level_text(titles, progress.job_family, progress.next_level),
            "Readiness": percent(progress.readiness),
            "Status": STATUS_TEXT[progress.status],
            "Forecast ready": month_text(progress.forecast_ready),
        }
    if page == "my_team":
        team = team_overview(session, viewer, viewer.person_id)
        return {
            "Direct reports": str(len(team)),
            "No evidence in the last 180 days": str(int((~team["evidence_last_180_days"]).sum())),
            "Pending verification": str(int(team["pending_verification"].sum())),
        }
    totals = organisation_totals(session, viewer)
    ready = group_progress(session, viewer).share_ready
    quiet, _ = quiet_people(session, viewer)
    return {
        "People": f"{totals.people:,}",
        "Managers": f"{totals.managers:,}",
        "Learning records": f"{totals.learning_records:,}",
        "Records in the last 90 days": f"{totals.records_last_90_days:,}",
        "Ready for their next level": "—" if ready is None else f"{ready:.0%}",
        "No evidence in the last 180 days": f"{quiet:,}",
    }


@pytest.mark.usefixtures("in_project")
def test_demo_mode_shows_the_banner_and_offers_the_three_personas(
    monkeypatch: pytest.MonkeyPatch, demo_url: str, personas: dict[str, Viewer]
) -> None:
    at = open_app(monkeypatch, demo_url)

    assert [info.value for info in at.info] == [BANNER]
    view_as = at.sidebar.selectbox(key="view_as")
    assert view_as.label == "View as"
    assert view_as.options == [
        f"{personas[role].name} — {label}" for role, label in ROLE_LABELS.items()
    ]
    assert view_as.value == "learner"
    assert [title.value for title in at.title] == ["My progress"]


@pytest.mark.usefixtures("in_project")
@pytest.mark.parametrize(
    ("role", "page"),
    [
        ("learner", "my_progress"),
        ("manager", "my_progress"),
        ("manager", "my_team"),
        ("ld_admin", "my_progress"),
        ("ld_admin", "organisation"),
    ],
)
def test_each_persona_sees_real_numbers_on_their_pages(
    monkeypatch: pytest.MonkeyPatch,
    demo_url: str,
    demo_session: Session,
    personas: dict[str, Viewer],
    role: str,
    page: str,
) -> None:
    at = open_app(monkeypatch, demo_url, role)
    at.switch_page(PAGES[page]).run()

    assert not at.exception, [e.value for e in at.exception]
    assert [title.value for title in at.title] == [TITLES[page]]
    assert [info.value for info in at.info][:1] == [BANNER]
    assert metrics(at) == expected_metrics(demo_session, personas[role], page)
    assert not at.error


@pytest.mark.usefixtures("in_project")
def test_my_progress_shows_every_record_on_the_timeline(
    monkeypatch: pytest.MonkeyPatch,
    demo_url: str,
    demo_session: Session,
    personas: dict[str, Viewer],
) -> None:
    learner = personas["learner"]
    assert learner.person_id is not None
    totals = evidence_totals(demo_session, learner, learner.person_id)

    at = open_app(monkeypatch, demo_url, "learner")

    timeline = next(frame.value for frame in at.dataframe if "verifier" in frame.value.columns)
    assert len(timeline) == totals.records
    assert (timeline["verification"] == "Pending").sum() == totals.pending_verification


@pytest.mark.usefixtures("in_project")
def test_my_team_lists_exactly_the_direct_reports(
    monkeypatch: pytest.MonkeyPatch,
    demo_url: str,
    demo_session: Session,
    personas: dict[str, Viewer],
) -> None:
    manager = personas["manager"]
    assert manager.person_id is not None
    reports = demo_session.scalars(
        select(Person.name).where(Person.manager_id == manager.person_id, Person.active)
    ).all()

    at = open_app(monkeypatch, demo_url, "manager")
    at.switch_page(PAGES["my_team"]).run()

    assert sorted(at.dataframe[0].value["name"]) == sorted(reports)


@pytest.mark.usefixtures("in_project")
def test_organisation_counts_everyone_by_title_and_by_evidence(
    monkeypatch: pytest.MonkeyPatch,
    demo_url: str,
    demo_session: Session,
    personas: dict[str, Viewer],
) -> None:
    admin = personas["ld_admin"]
    by_title = organisation_headcount(demo_session, admin).groupby("job_family")["headcount"].sum()
    people = group_progress(demo_session, admin).people
    with_level = int(people["attained_level"].notna().sum())

    at = open_app(monkeypatch, demo_url, "ld_admin")
    at.switch_page(PAGES["organisation"]).run()

    assert at.get("plotly_chart")
    table = at.dataframe[0].value
    assert table.groupby("job_family")["headcount"].sum().to_dict() == by_title.to_dict()
    assert table["headcount"].sum() == demo_session.scalar(
        select(func.count(Person.id)).where(Person.active)
    )
    assert table["attained"].sum() == with_level


@pytest.mark.usefixtures("in_project")
@pytest.mark.parametrize(
    ("role", "page"),
    [("learner", "my_team"), ("learner", "organisation"), ("manager", "organisation")],
)
def test_pages_beyond_a_persona_are_not_in_their_navigation(
    monkeypatch: pytest.MonkeyPatch,
    demo_url: str,
    personas: dict[str, Viewer],
    role: str,
    page: str,
) -> None:
    assert not personas["manager"].sees_everyone
    at = open_app(monkeypatch, demo_url, role)

    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGES[page])


@pytest.mark.usefixtures("in_project")
def test_switching_persona_never_shows_the_previous_viewers_numbers(
    monkeypatch: pytest.MonkeyPatch,
    demo_url: str,
    demo_session: Session,
    personas: dict[str, Viewer],
) -> None:
    at = open_app(monkeypatch, demo_url, "learner")
    assert metrics(at) == expected_metrics(demo_session, personas["learner"], "my_progress")

    at.selectbox(key="view_as").select("manager").run()

    assert metrics(at) == expected_metrics(demo_session, personas["manager"], "my_progress")
    assert metrics(at) != expected_metrics(demo_session, personas["learner"], "my_progress")


@pytest.mark.usefixtures("in_project")
def test_an_empty_database_gets_a_demo_organisation_and_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"

    at = open_app(monkeypatch, url)

    engine = open_database(url)
    with Session(engine) as session:
        people = session.scalar(select(func.count(Person.id)))
    engine.dispose()
    assert people == 300
    [message] = [success.value for success in at.success]
    assert message.startswith("The database was empty, so Pathwise created a demo organisation")
    assert "300 people" in message
    assert [title.value for title in at.title] == ["My progress"]

    at.run()

    assert not at.success


@pytest.mark.usefixtures("in_project")
def test_an_unreachable_database_is_one_error_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHWISE_DB_URL", "postgresql+psycopg://postgres@127.0.0.1:1/x")

    at = AppTest.from_file(APP, default_timeout=60).run()

    assert not at.exception
    [message] = [error.value for error in at.error]
    assert message.startswith(
        "Cannot open the database postgresql+psycopg://postgres@127.0.0.1:1/x"
    )
    assert message.endswith(".")
    assert "\n" not in message
    assert "Traceback" not in message
    assert not at.title
    assert not at.metric


def test_unreadable_secrets_are_one_error_sentence(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, demo_url: str
) -> None:
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text("[auth\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATHWISE_DB_URL", demo_url)

    at = AppTest.from_file(APP, default_timeout=60).run()

    assert not at.exception
    [message] = [error.value for error in at.error]
    assert message.startswith(".streamlit/secrets.toml is not valid TOML")
    assert not at.metric


@pytest.fixture
def sign_in_configured(monkeypatch: pytest.MonkeyPatch, in_project: None) -> None:
    secrets: dict[str, Any] = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback"}}
    monkeypatch.setattr(data_model.config, "load_secrets", lambda: secrets)


@pytest.mark.usefixtures("sign_in_configured")
def test_with_sign_in_configured_a_visitor_is_asked_to_sign_in(
    monkeypatch: pytest.MonkeyPatch, demo_url: str
) -> None:
    monkeypatch.setenv("PATHWISE_DB_URL", demo_url)
    at = AppTest.from_file(APP, default_timeout=60)
    at.user = {"is_logged_in": False}
    at.run()

    assert not at.exception
    assert [button.label for button in at.button] == ["Sign in"]
    assert not at.info
    assert not at.metric


@pytest.mark.usefixtures("sign_in_configured")
def test_a_signed_in_stranger_is_told_they_are_not_in_the_roster(
    monkeypatch: pytest.MonkeyPatch, demo_url: str
) -> None:
    monkeypatch.setenv("PATHWISE_DB_URL", demo_url)
    at = AppTest.from_file(APP, default_timeout=60)
    at.user = {"is_logged_in": True, "email": "stranger@example.org"}
    at.run()

    assert not at.exception
    [message] = [error.value for error in at.error]
    assert message.startswith("You are not in the roster as stranger@example.org")
    assert not at.metric


@pytest.mark.usefixtures("sign_in_configured")
def test_a_signed_in_manager_gets_their_own_pages_and_no_demo_banner(
    monkeypatch: pytest.MonkeyPatch,
    demo_url: str,
    demo_session: Session,
    personas: dict[str, Viewer],
) -> None:
    manager = personas["manager"]
    monkeypatch.setenv("PATHWISE_DB_URL", demo_url)
    at = AppTest.from_file(APP, default_timeout=60)
    at.user = {"is_logged_in": True, "email": manager.email.upper(), "name": manager.name}
    at.run()

    assert not at.exception
    assert not at.info
    assert "view_as" not in [selectbox.key for selectbox in at.selectbox]
    assert metrics(at) == expected_metrics(demo_session, manager, "my_progress")
    at.switch_page(PAGES["my_team"]).run()
    assert metrics(at) == expected_metrics(demo_session, manager, "my_team")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGES["organisation"])
