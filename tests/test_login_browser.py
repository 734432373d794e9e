"""Single sign-on end to end: a real identity provider, a real server, a real browser.

`oidc-provider-mock` plays the identity provider on 127.0.0.1; `streamlit run app.py` runs in
a scratch folder whose `.streamlit/secrets.toml` has an `[auth]` section pointing at it (the
project's own folder never gets a secrets file); Chromium signs a demo learner in through the
provider's form, sees their own progress and nothing of anyone else's, and signs out.
Everything is on 127.0.0.1: the redirect URI must match the browser's origin exactly.
"""

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from data_model.access import visible_people
from data_model.database import open_database
from data_model.models import AuditEntry, Person
from data_model.queries import demo_personas
from loaders.demo import seed_demo_organisation
from tests.conftest import PROJECT_ROOT, skip_or_fail
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, _free_port, _wait_until_healthy

pytestmark = pytest.mark.browser

STARTUP_SECONDS = 60
SCRATCH_SKIPS = {".streamlit", ".git", "data", "test-artifacts", ".pytest_cache", ".hypothesis"}
"""Project entries the server's scratch folder does not link to."""
SUBJECT = "learner-sub-1"


@dataclass(frozen=True)
class SignInWorld:
    app_url: str
    database_url: str
    learner_name: str
    learner_email: str
    stranger_key: str
    stranger_name: str


def _wait_for(url: str, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited with {process.returncode} before serving")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"{what} did not answer at {url} within {STARTUP_SECONDS} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _put_user(provider_url: str, subject: str, claims: dict[str, object]) -> None:
    request = urllib.request.Request(
        f"{provider_url}/users/{subject}",
        data=json.dumps(claims).encode(),
        method="PUT",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 204


def _scratch_project(folder: Path, secrets_toml: str) -> None:
    """A folder that runs the project's code, with its own .streamlit holding the secrets."""
    for entry in PROJECT_ROOT.iterdir():
        if entry.name not in SCRATCH_SKIPS:
            (folder / entry.name).symlink_to(entry)
    streamlit_folder = folder / ".streamlit"
    streamlit_folder.mkdir()
    config = PROJECT_ROOT / ".streamlit" / "config.toml"
    if config.exists():
        (streamlit_folder / "config.toml").symlink_to(config)
    (streamlit_folder / "secrets.toml").write_text(secrets_toml, encoding="utf-8")


def _demo_people(database_url: str) -> tuple[str, str, str, str]:
    """The demo learner (name, email) and a stranger to them (external id, name)."""
    engine = open_database(database_url)
    seed_demo_organisation(engine, people=40, records_per_person=5)
    with Session(engine) as session:
        learner = demo_personas(session)["learner"]
        report = aliased(Person)
        stranger_key, stranger_name = session.execute(
            select(Person.external_id, Person.name)
            .where(
                Person.active.is_(True),
                Person.id.not_in(visible_people(learner)),
                ~exists().where(report.manager_id == Person.id),
            )
            .order_by(Person.id)
            .limit(1)
        ).one()
    engine.dispose()
    return learner.name, learner.email, stranger_key, stranger_name


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignInWorld]:
    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is missing (apt-get install chromium), so no browser test")
    root = tmp_path_factory.mktemp("sign-in")
    database_url = f"sqlite:///{root / 'pathwise.db'}"
    learner_name, learner_email, stranger_key, stranger_name = _demo_people(database_url)

    provider_port, app_port = _free_port(), _free_port()
    provider_url = f"http://127.0.0.1:{provider_port}"
    provider = subprocess.Popen(
        [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1",
         "--port", str(provider_port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    server = None
    try:
        _wait_for(f"{provider_url}/.well-known/openid-configuration", provider, "the provider")
        _put_user(provider_url, SUBJECT, {"email": learner_email, "name": learner_name})

        app_url = f"http://127.0.0.1:{app_port}"
        folder = root / "app"
        folder.mkdir()
        _scratch_project(
            folder,
            f"""
[auth]
redirect_uri = "{app_url}/oauth2callback"
cookie_secret = "{secrets.token_hex(32)}"
client_id = "pathwise-test"
client_secret = "{secrets.token_hex(16)}"
server_metadata_url = "{provider_url}/.well-known/openid-configuration"
""",
        )
        environment = {
            **os.environ,
            "PATHWISE_DB_URL": database_url,
            "AUTHLIB_INSECURE_TRANSPORT": "1",
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless=true",
             "--server.address=127.0.0.1", f"--server.port={app_port}",
             "--browser.gatherUsageStats=false"],
            cwd=folder, env=environment,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_until_healthy(app_url, server)
        yield SignInWorld(
            app_url, database_url, learner_name, learner_email, stranger_key, stranger_name
        )
    finally:
        if server is not None:
            _stop(server)
        _stop(provider)


def _denied_entries(database_url: str, actor: str) -> list[tuple[str | None, str | None]]:
    engine = open_database(database_url)
    with Session(engine) as session:
        rows = session.execute(
            select(AuditEntry.target_type, AuditEntry.target_id).where(
                AuditEntry.action == "denied", AuditEntry.actor == actor
            )
        ).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def test_a_learner_signs_in_sees_only_their_own_progress_and_signs_out(
    world: SignInWorld,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(world.app_url)
            expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=60_000)
            expect(page.get_by_text("Demo mode")).to_have_count(0)
            page.get_by_role("button", name="Sign in").click()

            page.wait_for_url("**/oauth2/authorize**", timeout=30_000)
            page.locator("input[name='sub']").fill(SUBJECT)
            page.get_by_role("button", name="Authorize").click()

            page.wait_for_url(f"{world.app_url}/**", timeout=30_000)
            expect(page.get_by_role("heading", name="My progress")).to_be_visible(timeout=60_000)
            expect(page.get_by_text(f"Signed in as {world.learner_name}")).to_be_visible()
            expect(page.get_by_text(world.learner_name).first).to_be_visible()
            expect(page.get_by_text("View as")).to_have_count(0)
            expect(page.get_by_text("Demo mode")).to_have_count(0)

            page.goto(f"{world.app_url}/?person={world.stranger_key}")
            expect(page.get_by_text("Not permitted")).to_be_visible(timeout=60_000)
            expect(page.get_by_text(world.stranger_name)).to_have_count(0)
            assert ("person", world.stranger_key) in _denied_entries(
                world.database_url, world.learner_email
            )

            page.goto(f"{world.app_url}/admin")
            expect(page.get_by_role("heading", name="My progress")).to_be_visible(timeout=60_000)
            expect(page.get_by_role("heading", name="Access and audit")).to_have_count(0)
            expect(page.get_by_role("link", name="Access and audit")).to_have_count(0)

            page.goto(world.app_url)
            sign_out = page.get_by_role("button", name="Sign out")
            expect(sign_out).to_be_visible(timeout=60_000)
            sign_out.click()
            end_session = page.get_by_role("button", name="End session")
            expect(end_session).to_be_visible(timeout=30_000)
            end_session.click()
            page.wait_for_url(f"{world.app_url}/**", timeout=30_000)
            expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=60_000)
            expect(page.get_by_text(f"Signed in as {world.learner_name}")).to_have_count(0)
            page.goto(world.app_url)
            expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=60_000)
        finally:
            browser.close()
