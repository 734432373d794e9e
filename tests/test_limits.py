"""Limits: the upload size the server allows agrees with the importers' own, and hostile
fields (a megabyte-long name, control characters, markdown or HTML in a name) are stored
safely and shown as text, never rendered as markup."""

import csv
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, aliased
from streamlit.testing.v1 import AppTest

from data_model.access import Viewer
from data_model.database import open_database
from data_model.models import Activity, JobFamily, Person
from data_model.queries import demo_personas
from loaders.catalogue_csv import MAX_CATALOGUE_BYTES, import_catalogue
from loaders.demo import seed_demo_organisation
from loaders.roster_csv import MAX_ROSTER_BYTES, import_roster
from ui.formatting import as_text

PROJECT_ROOT = Path(__file__).resolve().parent.parent
APP = str(PROJECT_ROOT / "app.py")
MARKUP_NAME = "**Bold** _Tilt_ <b>Loud</b> <script>alert(1)</script> [Click](javascript:alert(1))"
CONTROL_NAME = "Ada \x07Love\x1b[31mlace\u202e\nSecond line\tend"
CONTROL_NAME_STORED = "Ada Love[31mlace Second line end"
MEGABYTE_NAME = "A" * 1024**2
ROSTER_COLUMNS = ["person_id", "name", "email", "manager_id", "job_family", "title_level",
                  "department", "location", "hire_date", "active"]  # fmt: skip


def test_the_upload_limit_is_the_importers_own() -> None:
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
    limit_mb = config["server"]["maxUploadSize"]
    assert limit_mb * 1024**2 == MAX_ROSTER_BYTES == MAX_CATALOGUE_BYTES


def roster_row(session: Session, person_id: int, name: str) -> dict[str, object]:
    """The person's roster row as it stands, with another name."""
    manager = aliased(Person)
    person, manager_key, family = session.execute(
        select(Person, manager.external_id, JobFamily.code)
        .outerjoin(manager, manager.id == Person.manager_id)
        .outerjoin(JobFamily, JobFamily.id == Person.job_family_id)
        .where(Person.id == person_id)
    ).one()
    return {
        "person_id": person.external_id, "name": name, "email": person.email,
        "manager_id": manager_key or "", "job_family": family or "",
        "title_level": "" if person.title_level is None else person.title_level,
        "department": person.department or "", "location": person.location or "",
        "hire_date": person.hire_date or "", "active": "yes" if person.active else "no",
    }  # fmt: skip


def hostile_roster(engine: Engine, path: Path) -> dict[str, Viewer]:
    """Rename the demo learner and manager to hostile names, and add a report whose name is
    a megabyte long; the personas, for the pages."""
    with Session(engine) as session:
        personas = demo_personas(session)
        learner, manager = personas["learner"], personas["manager"]
        assert learner.person_id is not None
        assert manager.person_id is not None
        rows = [
            roster_row(session, learner.person_id, MARKUP_NAME),
            roster_row(session, manager.person_id, CONTROL_NAME),
            {**roster_row(session, learner.person_id, MEGABYTE_NAME),
             "person_id": "HUGE-1", "email": "huge@example.com"},
        ]  # fmt: skip
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, ROSTER_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return personas


def names(engine: Engine, person_ids: list[int]) -> list[str]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(Person.name).where(Person.id.in_(person_ids)).order_by(Person.id)
            )
        )


def test_hostile_names_are_stored_safely(engine: Engine, tmp_path: Path) -> None:
    seed_demo_organisation(engine, people=60, records_per_person=3, seed=4)
    personas = hostile_roster(engine, tmp_path / "roster.csv")

    summary = import_roster(engine, tmp_path / "roster.csv")

    assert (summary.loaded, summary.rejected) == (2, 1)
    [error] = summary.errors
    assert (error["field"], error["message"]) == (
        "name",
        "name: The name is 1,048,576 characters long; at most 256 fit.",
    )
    learner, manager = personas["learner"].person_id, personas["manager"].person_id
    assert learner is not None
    assert manager is not None
    stored = dict(zip(sorted([learner, manager]), names(engine, [learner, manager]), strict=True))
    assert stored[learner] == MARKUP_NAME
    assert stored[manager] == CONTROL_NAME_STORED
    with Session(engine) as session:
        assert session.scalar(select(Person).where(Person.external_id == "HUGE-1")) is None


def test_an_over_long_catalogue_title_rejects_its_row_not_the_file(
    engine: Engine, tmp_path: Path
) -> None:
    seed_demo_organisation(engine, people=40, records_per_person=1, seed=6)
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text(
        "activity_id,title,kind,provider\n"
        f"LONG-1,{'T' * 513},course,\n"
        "FINE-1,Incident review \x1b[1mclinic\x07,course,Ops\tguild\n",
        encoding="utf-8",
    )

    summary = import_catalogue(engine, catalogue)

    assert (summary.loaded, summary.rejected) == (1, 1)
    assert summary.errors[0]["message"] == (
        "title: The title is 513 characters long; at most 512 fit."
    )
    with Session(engine) as session:
        fine = session.scalars(select(Activity).where(Activity.external_id == "FINE-1")).one()
        assert (fine.title, fine.provider) == ("Incident review [1mclinic", "Ops guild")
        assert session.scalar(select(Activity).where(Activity.external_id == "LONG-1")) is None


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("**Bold**", r"\*\*Bold\*\*"),
        ("<b>x</b>", r"\<b\>x\</b\>"),
        ("[a](javascript:x)", r"\[a\](javascript\:x)"),
        ("# Head", r"\# Head"),
        (":red[red] $x$", r"\:red\[red\] \$x\$"),
        ("1. First", r"1\. First"),
        ("- item", r"\- item"),
        ("&lt;b&gt;", r"\&lt;b\&gt;"),
        ("Line\nbreak\x1b[0m", r"Line break \[0m"),
        ("J. Smith-Jones (#2)", "J. Smith-Jones (#2)"),
    ],
)
def test_as_text_escapes_what_markdown_would_render(value: str, shown: str) -> None:
    assert as_text(value) == shown


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    folder = tmp_path_factory.mktemp("hostile")
    url = f"sqlite:///{folder / 'pathwise.db'}"
    engine = open_database(url)
    seed_demo_organisation(engine, people=60, records_per_person=3, seed=4)
    personas = hostile_roster(engine, folder / "roster.csv")
    import_roster(engine, folder / "roster.csv")
    engine.dispose()
    return url, personas


MARKDOWN_ELEMENTS = ("markdown", "caption", "title", "header", "subheader", "info", "success",
                     "warning", "error", "toast", "metric")  # fmt: skip
PAGES = [
    ("learner", "app_pages/my_progress.py"),
    ("manager", "app_pages/my_progress.py"),
    ("manager", "app_pages/my_team.py"),
    ("ld_admin", "app_pages/organisation.py"),
]


def rendered_text(at: AppTest) -> list[str]:
    """Every string the page hands Streamlit to render as markdown."""
    texts = []
    for kind in MARKDOWN_ELEMENTS:
        for element in at.get(kind):
            for attribute in ("value", "label", "body"):
                value = getattr(element, attribute, None)
                if isinstance(value, str):
                    texts.append(value)
    return texts


@pytest.mark.parametrize(("role", "page"), PAGES)
def test_hostile_names_are_shown_as_text_on_every_page(
    hostile_app: tuple[str, dict], monkeypatch: pytest.MonkeyPatch, role: str, page: str
) -> None:
    url, _personas = hostile_app
    monkeypatch.chdir(PROJECT_ROOT)
    monkeypatch.setenv("PATHWISE_DB_URL", url)
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.selectbox(key="view_as").select(role).run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]

    texts = rendered_text(at)
    for text in texts:
        assert "**Bold**" not in text, text
        assert "<script>" not in text, text
        assert "\x1b" not in text, text
