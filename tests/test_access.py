"""Who may see what, wherever they ask: the read models, the cache, the pages, the command line.

The data-model and command-line tests run on SQLite and PostgreSQL (`engine`); the page tests
drive `app.py` through AppTest on a SQLite demo, both in demo mode (the "view as" switcher) and
with sign-in configured (`at.user`), for each role over every page file in app_pages/.
"""

import io
import json
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, exists, select
from sqlalchemy.orm import Session, aliased
from streamlit.testing.v1 import AppTest

import data_model.config
from data_model.access import (
    OPERATOR,
    NotPermitted,
    Viewer,
    as_line_manager,
    claims_grant_ld_admin,
    viewer_for_email,
    visible_people,
    visible_person_id,
    with_claimed_roles,
)
from data_model.audit import record_audit, record_denied
from data_model.cli import main as data_model_cli
from data_model.config import ConfigurationError, ld_admin_claim
from data_model.database import open_database
from data_model.models import AuditEntry, Person, Role
from data_model.queries import demo_personas
from data_model.queries.audit import audit_actions, audit_trail
from data_model.roles import RoleChangeRefused, grant_role, revoke_role, role_grants
from loaders.batches import list_batches, rejected_rows, unmapped_keys
from loaders.demo import seed_demo_organisation
from ui import data
from ui.audited import csv_file, excel_file
from ui.context import PageContext
from ui.errors import NOT_PERMITTED
from ui.viewer import DEMO_BANNER

PROJECT_ROOT = Path(__file__).resolve().parent.parent
APP = str(PROJECT_ROOT / "app.py")
ROLES = ("learner", "manager", "ld_admin")
PAGE_ACCESS = {
    "app_pages/my_progress.py": "everyone",
    "app_pages/my_team.py": "managers",
    "app_pages/organisation.py": "ld_admins",
    "app_pages/framework.py": "ld_admins",
    "app_pages/data.py": "ld_admins",
    "app_pages/admin.py": "ld_admins",
}
"""Every page file and who may open it: everyone on the roster, people with active reports, or
L&D admins."""
SIGN_IN_SECRETS: dict[str, Any] = {
    "auth": {"redirect_uri": "http://127.0.0.1:8501/oauth2callback"},
    "pathwise": {"ld_admin_claim": "groups", "ld_admin_claim_value": "ld-admins"},
}


# The organisation -------------------------------------------------------------------------


@dataclass(frozen=True)
class Organisation:
    learner: Viewer
    manager: Viewer
    ld_admin: Viewer
    learner_key: str
    """The learner's external id."""
    stranger_id: int
    """Someone neither the learner nor their manager may see, who manages no one."""
    stranger_key: str


def organisation_of(session: Session) -> Organisation:
    personas = demo_personas(session)
    manager = personas["manager"]
    below_manager = visible_people(manager)
    report = aliased(Person)
    manages_no_one = ~exists().where(report.manager_id == Person.id)
    stranger_id, stranger_key = session.execute(
        select(Person.id, Person.external_id)
        .where(Person.active.is_(True), Person.id.not_in(below_manager), manages_no_one)
        .order_by(Person.id)
        .limit(1)
    ).one()
    learner = personas["learner"]
    learner_key = session.scalar(select(Person.external_id).where(Person.id == learner.person_id))
    assert learner_key is not None
    return Organisation(
        learner, manager, personas["ld_admin"], learner_key, stranger_id, stranger_key
    )


@pytest.fixture
def org(engine: Engine) -> Organisation:
    seed_demo_organisation(engine, people=40, records_per_person=5)
    with Session(engine) as session:
        return organisation_of(session)


def audit_entries(engine: Engine, action: str, actor: str) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == action, AuditEntry.actor == actor)
                .order_by(AuditEntry.id)
            ).all()
        )


# Scope in the data model -------------------------------------------------------------------


def test_a_url_key_resolves_only_inside_the_viewers_scope(
    engine: Engine, org: Organisation
) -> None:
    with Session(engine) as session:
        assert visible_person_id(session, org.learner, org.learner_key) == org.learner.person_id
        assert visible_person_id(session, org.manager, org.learner_key) == org.learner.person_id
        assert visible_person_id(session, org.ld_admin, org.stranger_key) == org.stranger_id
        for viewer in (org.learner, org.manager):
            with pytest.raises(NotPermitted) as refused:
                visible_person_id(session, viewer, org.stranger_key)
            assert (refused.value.target_type, refused.value.target_id) == (
                "person",
                org.stranger_key,
            )
        with pytest.raises(NotPermitted) as unknown:
            visible_person_id(session, org.ld_admin, "no-such-person")
        assert str(unknown.value) == "not permitted"


def test_as_a_line_manager_only_the_reporting_chain_is_in_scope(
    engine: Engine, org: Organisation
) -> None:
    """Attesting and verifying go by the reporting line: holding L&D admin, or being the
    operator, widens what someone sees but not whom they may vouch for."""
    also_ld_admin = replace(org.manager, is_ld_admin=True)
    line_manager = as_line_manager(also_ld_admin)
    assert (line_manager.person_id, line_manager.email, line_manager.name) == (
        org.manager.person_id, org.manager.email, org.manager.name,
    )  # fmt: skip
    assert not line_manager.sees_everyone
    with Session(engine) as session:
        chain = set(session.scalars(visible_people(org.manager)))
        assert set(session.scalars(visible_people(line_manager))) == chain
        assert org.stranger_id not in chain
        assert set(session.scalars(visible_people(as_line_manager(OPERATOR)))) == set()


def test_a_refusal_is_logged_in_a_transaction_of_its_own(engine: Engine, org: Organisation) -> None:
    with Session(engine) as session, pytest.raises(NotPermitted) as refused:
        visible_person_id(session, org.learner, org.stranger_key)

    record_denied(engine, org.learner, refused.value, page="My progress")

    [entry] = audit_entries(engine, "denied", org.learner.email)
    assert (entry.target_type, entry.target_id) == ("person", org.stranger_key)
    assert entry.details == {"page": "My progress"}


@given(
    claim=st.sampled_from(["groups", "roles"]),
    held=st.one_of(st.none(), st.text(max_size=8), st.lists(st.text(max_size=8), max_size=4)),
    value=st.text(min_size=1, max_size=8),
)
def test_a_claim_grants_ld_admin_exactly_when_it_holds_the_value(
    claim: str, held: str | list[str] | None, value: str
) -> None:
    claims = {} if held is None else {claim: held}
    expected = held == value if isinstance(held, str) else held is not None and value in held
    assert claims_grant_ld_admin(claims, claim, value) is expected
    assert claims_grant_ld_admin(claims, None, None) is False
    viewer = Viewer(person_id=1, email="a@example.com", name="A")
    assert with_claimed_roles(viewer, claims, claim, value).is_ld_admin is expected


def test_the_ld_admin_claim_is_configured_with_both_settings_or_neither() -> None:
    assert ld_admin_claim({}) == (None, None)
    assert ld_admin_claim(SIGN_IN_SECRETS) == ("groups", "ld-admins")
    with pytest.raises(ConfigurationError, match="both ld_admin_claim and ld_admin_claim_value"):
        ld_admin_claim({"pathwise": {"ld_admin_claim": "groups"}})


def test_ld_admins_grant_and_revoke_the_role_and_both_are_audited(
    engine: Engine, org: Organisation
) -> None:
    newcomer = org.learner.email
    with Session(engine) as session, session.begin():
        assert grant_role(session, org.ld_admin, f"  {newcomer.upper()} ", Role.LD_ADMIN)
        assert not grant_role(session, org.ld_admin, newcomer, Role.LD_ADMIN)
    with Session(engine) as session:
        promoted = viewer_for_email(session, newcomer)
        assert promoted is not None
        assert promoted.sees_everyone
        grants = role_grants(session, org.ld_admin)
        assert grants.set_index("email").loc[newcomer.lower(), "granted_by"] == org.ld_admin.email
    with Session(engine) as session, session.begin():
        assert revoke_role(session, org.ld_admin, newcomer, Role.LD_ADMIN)
        assert not revoke_role(session, org.ld_admin, newcomer, Role.LD_ADMIN)
    with Session(engine) as session:
        demoted = viewer_for_email(session, newcomer)
        assert demoted is not None
        assert not demoted.sees_everyone

    entries = audit_entries(engine, "grant_role", org.ld_admin.email) + audit_entries(
        engine, "revoke_role", org.ld_admin.email
    )
    assert [(e.action, e.target_id, e.details) for e in entries] == [
        ("grant_role", newcomer.lower(), {"role": "ld_admin"}),
        ("revoke_role", newcomer.lower(), {"role": "ld_admin"}),
    ]


def test_only_ld_admins_manage_roles_and_none_revokes_their_own(
    engine: Engine, org: Organisation
) -> None:
    with Session(engine) as session:
        for viewer in (org.learner, org.manager):
            with pytest.raises(NotPermitted):
                grant_role(session, viewer, viewer.email, Role.LD_ADMIN)
            with pytest.raises(NotPermitted):
                revoke_role(session, viewer, org.ld_admin.email, Role.LD_ADMIN)
            with pytest.raises(NotPermitted):
                role_grants(session, viewer)
        with pytest.raises(RoleChangeRefused, match="your own role"):
            revoke_role(session, org.ld_admin, org.ld_admin.email, Role.LD_ADMIN)
        with pytest.raises(RoleChangeRefused, match="not an email address"):
            grant_role(session, org.ld_admin, "not an email", Role.LD_ADMIN)


def test_the_audit_trail_is_for_ld_admins_and_filters_by_actor_action_and_date(
    engine: Engine, org: Organisation
) -> None:
    moments = [datetime(2026, 3, day, 12, tzinfo=UTC) for day in (1, 2, 3)]
    with Session(engine) as session, session.begin():
        session.execute(AuditEntry.__table__.delete())
        for moment, actor, action in zip(
            moments,
            ["ann@example.com", "bob@example.com", "ann@example.com"],
            ["export", "denied", "denied"],
            strict=True,
        ):
            record_audit(session, actor, action, "person", 7, page="My team").occurred_at = moment

    with Session(engine) as session:
        for viewer in (org.learner, org.manager):
            with pytest.raises(NotPermitted):
                audit_trail(session, viewer)
            with pytest.raises(NotPermitted):
                audit_actions(session, viewer)
        everything = audit_trail(session, org.ld_admin)
        assert everything["occurred_at"].tolist() == moments[::-1]
        assert everything["details"].tolist() == ['{"page": "My team"}'] * 3
        assert audit_actions(session, org.ld_admin) == ["denied", "export"]
        assert len(audit_trail(session, org.ld_admin, actor="ANN@")) == 2
        assert len(audit_trail(session, org.ld_admin, action="denied")) == 2
        assert len(audit_trail(session, org.ld_admin, actor="ann", action="denied")) == 1
        days = audit_trail(session, org.ld_admin, since=date(2026, 3, 2), until=date(2026, 3, 2))
        assert days["actor"].tolist() == ["bob@example.com"]
        assert len(audit_trail(session, org.ld_admin, since=date(2026, 3, 2))) == 2
        assert len(audit_trail(session, org.ld_admin, until=date(2026, 3, 1))) == 1
        assert len(audit_trail(session, org.ld_admin, limit=1)) == 1


def test_import_history_rejected_rows_and_held_records_are_for_ld_admins_only(
    engine: Engine, org: Organisation
) -> None:
    with Session(engine) as session:
        batch = int(list_batches(session, org.ld_admin)["id"].iloc[0])
        for viewer in (org.learner, org.manager):
            with pytest.raises(NotPermitted):
                list_batches(session, viewer)
            with pytest.raises(NotPermitted):
                rejected_rows(session, batch, viewer)
            with pytest.raises(NotPermitted):
                unmapped_keys(session, viewer)
        assert rejected_rows(session, batch, org.ld_admin).empty
        assert unmapped_keys(session).empty


# The cache ---------------------------------------------------------------------------------


def test_one_cached_read_gives_two_viewers_their_own_answers(
    database_url: str, engine: Engine, org: Organisation
) -> None:
    """The manager's cached result for their report is never handed to someone else."""
    assert org.learner.person_id is not None
    manager = PageContext(database_url, org.manager)
    peer = PageContext(database_url, org.learner)
    stranger_view = PageContext(
        database_url, Viewer(person_id=org.stranger_id, email="s@example.com", name="S")
    )
    try:
        shown = data.competency_evidence(manager, org.learner.person_id)
        assert len(shown) > 0
        assert data.competency_evidence(peer, org.learner.person_id).equals(shown)
        with pytest.raises(NotPermitted):
            data.competency_evidence(stranger_view, org.learner.person_id)
        with pytest.raises(NotPermitted):
            data.person_summary(stranger_view, org.learner.person_id)
        assert data.person_summary(manager, org.learner.person_id).name == org.learner.name
    finally:
        data.competency_evidence.clear()
        data.person_summary.clear()


# The command line --------------------------------------------------------------------------


def cli(url: str, *arguments: str) -> int:
    return data_model_cli([*arguments, "--db", url])


@pytest.mark.parametrize(
    "command",
    [
        ["mastery", "{person}"],
        ["explain", "{person}", "DA-SQL"],
        ["progress", "{person}"],
        ["team", "{person}"],
    ],
)
def test_as_someone_outside_scope_is_not_permitted_exits_3_and_is_logged(
    database_url: str,
    engine: Engine,
    org: Organisation,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    about_stranger = [part.format(person=org.stranger_key) for part in command]

    assert cli(database_url, *about_stranger, "--as", org.manager.email) == 3

    captured = capsys.readouterr()
    assert captured.err.strip() == "not permitted"
    assert captured.out == ""
    [entry] = audit_entries(engine, "denied", org.manager.email)
    assert entry.target_type == "person"
    assert entry.target_id == str(org.stranger_id)
    assert entry.details == {"command": command[0]}


@pytest.mark.parametrize("command", [["mastery", "{person}"], ["progress", "{person}"]])
def test_as_a_manager_about_their_report_and_without_as_answers(
    database_url: str,
    org: Organisation,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    about_learner = [part.format(person=org.learner_key) for part in command]
    assert cli(database_url, *about_learner, "--as", org.manager.email, "--json") == 0
    as_manager = capsys.readouterr().out
    assert cli(database_url, *about_learner, "--json") == 0
    assert capsys.readouterr().out == as_manager != ""
    assert cli(database_url, *about_learner, "--as", org.learner.email.upper(), "--json") == 0


def test_as_an_unknown_email_says_so_and_exits_3(
    database_url: str, org: Organisation, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(database_url, "mastery", org.learner_key, "--as", "nobody@example.org") == 3
    assert "no active person in the roster has that email" in capsys.readouterr().err


def test_candidates_as_a_learner_ranks_only_the_learner(
    database_url: str, engine: Engine, org: Organisation, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(database_url, "candidates", "DATA", "2", "--limit", "50", "--json") == 0
    everyone = {row["person"] for row in json.loads(capsys.readouterr().out)}
    assert len(everyone) > 1
    assert (
        cli(
            database_url,
            "candidates",
            "DATA",
            "2",
            "--limit",
            "50",
            "--json",
            "--as",
            org.learner.email,
        )
        == 0
    )
    mine = {row["person"] for row in json.loads(capsys.readouterr().out)}
    assert mine <= {org.learner_key}


# The pages ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('access') / 'pathwise.db'}"
    engine = open_database(url)
    seed_demo_organisation(engine, people=60)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def demo_engine(demo_url: str) -> Iterator[Engine]:
    engine = open_database(demo_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def demo(demo_engine: Engine) -> Organisation:
    with Session(demo_engine) as session:
        return organisation_of(session)


@pytest.fixture
def in_project(monkeypatch: pytest.MonkeyPatch, demo_url: str) -> None:
    monkeypatch.chdir(PROJECT_ROOT)
    monkeypatch.setenv("PATHWISE_DB_URL", demo_url)


@pytest.fixture
def sign_in_configured(monkeypatch: pytest.MonkeyPatch, in_project: None) -> None:
    monkeypatch.setattr(data_model.config, "load_secrets", lambda: SIGN_IN_SECRETS)


def viewer_of(org: Organisation, role: str) -> Viewer:
    return {"learner": org.learner, "manager": org.manager, "ld_admin": org.ld_admin}[role]


def as_demo_persona(role: str, person: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if person is not None:
        at.query_params["person"] = person
    at.run()
    at.selectbox(key="view_as").select(role).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def signed_in(email: str, person: str | None = None, **claims: Any) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.user = {"is_logged_in": True, "email": email, **claims}
    if person is not None:
        at.query_params["person"] = person
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def click(at: AppTest, label: str) -> None:
    next(button for button in at.button if button.label == label).click().run()


def may_open(viewer: Viewer, page: str) -> bool:
    audience = PAGE_ACCESS[page]
    return (
        audience == "everyone"
        or (audience == "managers" and viewer.is_manager)
        or (audience == "ld_admins" and viewer.is_ld_admin)
    )


def check_navigation(at: AppTest, viewer: Viewer) -> None:
    """Each page the viewer may open runs, with content and no refusal; no other page is there."""
    for page in PAGE_ACCESS:
        if may_open(viewer, page):
            at.switch_page(page).run()
            assert not at.exception, (page, [e.value for e in at.exception])
            assert at.title, page
            assert NOT_PERMITTED not in [error.value for error in at.error], page
        else:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(page)


def test_the_matrix_names_every_page_file_and_the_personas_cover_it(demo: Organisation) -> None:
    files = {f"app_pages/{path.name}" for path in (PROJECT_ROOT / "app_pages").glob("*.py")}
    assert files == set(PAGE_ACCESS)
    assert not demo.learner.is_manager
    assert not demo.learner.sees_everyone
    assert demo.manager.is_manager
    assert not demo.manager.sees_everyone
    assert demo.ld_admin.is_ld_admin


@pytest.mark.usefixtures("in_project")
@pytest.mark.parametrize("role", ROLES)
def test_in_demo_mode_each_persona_navigates_exactly_their_pages(
    demo: Organisation, role: str
) -> None:
    check_navigation(as_demo_persona(role), viewer_of(demo, role))


@pytest.mark.usefixtures("sign_in_configured")
@pytest.mark.parametrize("role", ROLES)
def test_signed_in_each_role_navigates_exactly_their_pages_with_no_identity_picker(
    demo: Organisation, role: str
) -> None:
    viewer = viewer_of(demo, role)
    at = signed_in(viewer.email)

    assert DEMO_BANNER not in [info.value for info in at.info]
    check_navigation(at, viewer)
    for page in PAGE_ACCESS:
        if may_open(viewer, page):
            at.switch_page(page).run()
            assert DEMO_BANNER not in [info.value for info in at.info], page
            assert "View as" not in [box.label for box in at.selectbox], page
            assert not [box for box in at.selectbox if box.key == "view_as"], page


@pytest.mark.usefixtures("sign_in_configured")
def test_signing_in_from_outside_the_roster_is_logged_once_per_session(
    demo_engine: Engine,
) -> None:
    email = "outsider@example.org"

    at = signed_in(email)
    at.run()
    at.run()

    assert next(error.value for error in at.error).startswith("You are not in the roster")
    entries = audit_entries(demo_engine, "denied", email)
    assert [(entry.target_type, entry.target_id) for entry in entries] == [("roster", email)]
    assert entries[0].details == {"reason": "not in roster"}

    signed_in(email)

    assert len(audit_entries(demo_engine, "denied", email)) == 2


@pytest.mark.usefixtures("sign_in_configured")
def test_the_configured_claim_makes_a_learner_an_ld_admin(demo: Organisation) -> None:
    plain = signed_in(demo.learner.email, groups=["staff"])
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        plain.switch_page("app_pages/admin.py")

    claimed = signed_in(demo.learner.email, groups=["staff", "ld-admins"])
    claimed.switch_page("app_pages/admin.py").run()

    assert not claimed.exception
    assert [title.value for title in claimed.title] == ["Access and audit"]


@pytest.mark.usefixtures("in_project")
@pytest.mark.parametrize("mode", ["demo", "signed_in"])
def test_a_person_in_the_url_outside_scope_is_not_permitted_and_logged(
    monkeypatch: pytest.MonkeyPatch, demo: Organisation, demo_engine: Engine, mode: str
) -> None:
    before = len(audit_entries(demo_engine, "denied", demo.learner.email))
    if mode == "demo":
        at = as_demo_persona("learner", person=demo.stranger_key)
    else:
        monkeypatch.setattr(data_model.config, "load_secrets", lambda: SIGN_IN_SECRETS)
        at = signed_in(demo.learner.email, person=demo.stranger_key)

    assert [error.value for error in at.error] == [NOT_PERMITTED]
    assert not at.metric
    assert not at.dataframe
    entries = audit_entries(demo_engine, "denied", demo.learner.email)[before:]
    assert entries
    assert {(e.target_type, e.target_id) for e in entries} == {("person", demo.stranger_key)}
    assert entries[-1].details == {"page": "My progress"}


@pytest.mark.usefixtures("in_project")
@pytest.mark.parametrize(
    ("role", "whom", "allowed"),
    [
        ("learner", "self", True),
        ("manager", "learner", True),
        ("manager", "stranger", False),
        ("ld_admin", "stranger", True),
        ("ld_admin", "nobody", False),
    ],
)
def test_a_person_in_the_url_is_checked_against_each_viewers_scope(
    demo: Organisation, role: str, whom: str, allowed: bool
) -> None:
    key = {
        "self": demo.learner_key,
        "learner": demo.learner_key,
        "stranger": demo.stranger_key,
        "nobody": "no-such-person",
    }[whom]

    at = as_demo_persona(role, person=key)

    errors = [error.value for error in at.error]
    assert (NOT_PERMITTED not in errors) is allowed
    assert bool(at.metric) is allowed


@pytest.mark.usefixtures("in_project")
def test_two_viewers_over_the_same_cached_reads_see_their_own_numbers(
    demo: Organisation,
) -> None:
    """Three sessions in one process share st.cache_data: each still gets its own answer."""
    manager = as_demo_persona("manager", person=demo.learner_key)
    learner = as_demo_persona("learner", person=demo.learner_key)
    stranger = as_demo_persona("learner", person=demo.stranger_key)

    for at, viewer in ((manager, demo.manager), (learner, demo.learner)):
        assert not at.error
        assert at.caption[0].value.startswith(f"{viewer.name} · ")
    assert [error.value for error in stranger.error] == [NOT_PERMITTED]
    assert not stranger.metric


# The "Access and audit" page ---------------------------------------------------------------


@pytest.mark.usefixtures("in_project")
def test_an_ld_admin_grants_revokes_filters_and_exports_the_trail(
    demo: Organisation, demo_engine: Engine
) -> None:
    newcomer = "new.admin@example.com"
    at = as_demo_persona("ld_admin")
    at.switch_page("app_pages/admin.py").run()
    assert [title.value for title in at.title] == ["Access and audit"]

    at.text_input(key="access_grant_email").input(newcomer)
    click(at, "Grant L&D admin")

    assert not at.exception, [e.value for e in at.exception]
    assert [s.value for s in at.success] == [f"{newcomer} is now an L&D admin."]
    assert newcomer in at.dataframe[0].value["email"].tolist()

    at.selectbox(key="access_revoke_email").select(newcomer)
    click(at, "Revoke L&D admin")

    assert [s.value for s in at.success] == [f"{newcomer} is no longer an L&D admin by email."]
    assert newcomer not in at.dataframe[0].value["email"].tolist()

    at.selectbox(key="audit_action").select("grant_role")
    at.text_input(key="audit_actor").input(demo.ld_admin.email).run()
    trail = at.dataframe[1].value
    assert trail["action"].tolist() == ["grant_role"]
    assert trail["target_id"].tolist() == [newcomer]

    at.download_button(key="audit_csv").click().run()

    assert not at.exception, [e.value for e in at.exception]
    [export] = audit_entries(demo_engine, "export", demo.ld_admin.email)
    assert export.target_type == "audit_trail"
    assert export.target_id.endswith(".csv")
    assert export.details["action_filter"] == "grant_role"
    assert export.details["rows"] == 1


def test_exports_neutralise_formulas_in_csv_and_excel() -> None:
    frame = pd.DataFrame(
        {"actor": ["=HYPERLINK(1)", "ann@example.com"], "when": [datetime.now(UTC)] * 2}
    )
    assert "'=HYPERLINK(1)" in csv_file(frame).decode("utf-8-sig")
    sheet = pd.read_excel(io.BytesIO(excel_file(frame)))
    assert sheet["actor"].tolist() == ["'=HYPERLINK(1)", "ann@example.com"]
    assert sheet["when"].iloc[0] > datetime.now() - timedelta(days=2)


def test_the_readme_single_sign_on_example_is_complete_and_read_as_configured() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Deploying with single sign-on", 1)[1]
    example = tomllib.loads(section.split("```toml", 1)[1].split("```", 1)[0])

    assert set(example["auth"]) == {
        "redirect_uri",
        "cookie_secret",
        "client_id",
        "client_secret",
        "server_metadata_url",
    }
    assert example["auth"]["redirect_uri"].endswith("/oauth2callback")
    assert data_model.config.login_configured(example)
    assert ld_admin_claim(example) == ("groups", "ld-admins")


@pytest.mark.usefixtures("in_project")
def test_the_team_drill_down_opens_a_report_but_not_a_stranger(demo: Organisation) -> None:
    report = as_demo_persona("manager", person=demo.learner_key)
    report.switch_page("app_pages/my_team.py").run()

    assert not report.exception, [e.value for e in report.exception]
    assert NOT_PERMITTED not in [error.value for error in report.error]
    assert any(demo.learner.name in header.value for header in report.subheader)

    stranger = as_demo_persona("manager", person=demo.stranger_key)
    stranger.switch_page("app_pages/my_team.py").run()

    assert [error.value for error in stranger.error] == [NOT_PERMITTED]
    assert not stranger.dataframe
