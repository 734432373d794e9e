"""Organisation: the filter and freshness reads on both backends, then the page through
AppTest on a demo organisation (filters, headline figures, levels, gaps down to the evidence,
the cohort builder and its downloads, progression equity, data freshness).

Expected numbers come from the read models run directly on the same database.
"""

import io
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from data_model.access import NotPermitted, Viewer, viewer_for_person
from data_model.attestation import attest
from data_model.database import open_database
from data_model.informal import rate_myself
from data_model.models import (
    AuditEntry,
    BatchStatus,
    Competency,
    CompetencyCategory,
    Framework,
    ImportBatch,
    JobFamily,
    LearningRecord,
    PathwayLevel,
    Person,
    Role,
    RoleGrant,
    SourceKind,
    Verification,
)
from data_model.queries import demo_personas
from data_model.queries.calibration import calibration_of
from data_model.queries.equity import FEWER_THAN, progression_equity
from data_model.queries.freshness import last_imports, quiet_people
from data_model.queries.groups import cohort, group_progress
from data_model.queries.mastery import explain_mastery, find_competency
from data_model.queries.organisation import (
    BELOW_FIRST_LEVEL,
    OrganisationFilter,
    filter_options,
    levels_by_family,
    organisation_headcount,
    organisation_totals,
)
from data_model.queries.programmes import programme_effectiveness
from data_model.queries.team import level_label, level_titles
from loaders.demo import seed_demo_organisation
from tests.page_tables import assert_calibration_shown, percent_cells, whole_percents
from ui.formatting import TITLE_AHEAD_OF_EVIDENCE, WORKING_ABOVE_TITLE

PROJECT_ROOT = Path(__file__).resolve().parent.parent
APP = str(PROJECT_ROOT / "app.py")
ORGANISATION_PAGE = "app_pages/organisation.py"
NOW = datetime.now(UTC)
_keys = count()

ADMIN = Viewer(person_id=None, email="admin@example.com", name="Admin", is_ld_admin=True)


@pytest.fixture
def roster(engine: Engine) -> dict[str, int]:
    """M manages A and B. A: Data, Berlin, recent evidence. B: Data, Berlin, evidence 400 days
    old. C: Ops, Lisbon, none. D: inactive. E: Ops, Lisbon, only a declined record."""
    with Session(engine) as session, session.begin():
        framework = Framework(code="T", name="Tiny", scale_min=0, scale_max=5, proficient_level=3)
        competency = Competency(framework=framework, code="A", name="Skill A",
                                category=CompetencyCategory.TECHNICAL)  # fmt: skip
        family = JobFamily(framework=framework, code="F", name="Family")
        family.levels = [PathwayLevel(rank=rank, title=f"Rank {rank}") for rank in (1, 2)]
        session.add_all([framework, competency, family])
        session.flush()
        people: dict[str, Person] = {}
        for key, department, location, active in (
            ("M", "Data", "Berlin", True), ("A", "Data", "Berlin", True),
            ("B", "Data", "Berlin", True), ("C", "Ops", "Lisbon", True),
            ("D", "Ops", "Lisbon", False), ("E", "Ops", "Lisbon", True),
        ):  # fmt: skip
            people[key] = Person(
                external_id=key, name=f"Person {key}", email=f"{key.lower()}@example.com",
                department=department, location=location, active=active,
                job_family_id=family.id if key in "AB" else None,
                title_level=1 if key == "A" else None,
            )  # fmt: skip
            session.add(people[key])
        session.flush()
        people["A"].manager_id = people["B"].manager_id = people["M"].id
        for key, days, verification in (("A", 10, Verification.NOT_NEEDED),
                                         ("B", 400, Verification.NOT_NEEDED),
                                         ("E", 5, Verification.DECLINED)):  # fmt: skip
            session.add(
                LearningRecord(
                    dedupe_key=f"r{next(_keys)}", person_id=people[key].id,
                    competency_id=competency.id, rating=2, source_kind=SourceKind.PROJECT,
                    occurred_at=NOW - timedelta(days=days), verification=verification,
                )
            )  # fmt: skip
        return {key: person.id for key, person in people.items()}


def test_quiet_people_are_those_without_recent_evidence_never_any_first(
    engine: Engine, roster: dict[str, int]
) -> None:
    with Session(engine) as session:
        total, people = quiet_people(session, ADMIN, days=180)
        assert total == 4
        assert people["name"].tolist() == ["Person C", "Person E", "Person M", "Person B"]
        assert people["last_evidence"].isna().tolist() == [True, True, True, False]
        assert people.loc[people["name"] == "Person B", "manager"].tolist() == ["Person M"]

        in_ops, ops = quiet_people(session, ADMIN, OrganisationFilter(department="Ops"))
        assert (in_ops, ops["name"].tolist()) == (2, ["Person C", "Person E"])
        in_family, _ = quiet_people(session, ADMIN, OrganisationFilter(job_family="F"))
        assert in_family == 1
        first, listed = quiet_people(session, ADMIN, limit=1)
        assert (first, listed["name"].tolist()) == (4, ["Person C"])

        manager = Viewer(person_id=roster["M"], email="m@example.com", name="M")
        scoped, theirs = quiet_people(session, manager)
        assert (scoped, theirs["name"].tolist()) == (2, ["Person M", "Person B"])
        assert quiet_people(session, ADMIN, days=500)[0] == 3


def test_last_imports_keep_the_latest_applied_batch_of_each_source(
    engine: Engine, roster: dict[str, int]
) -> None:
    with Session(engine) as session, session.begin():
        for kind, days, status, name in (
            ("records_csv", 30, BatchStatus.APPLIED, "march.csv"),
            ("records_csv", 3, BatchStatus.APPLIED, "april.csv"),
            ("records_csv", 1, BatchStatus.FAILED, "broken.csv"),
            ("roster_csv", 60, BatchStatus.APPLIED, "people.csv"),
            ("xapi", 2, BatchStatus.UNDONE, "lrs.json"),
        ):
            when = NOW - timedelta(days=days)
            session.add(ImportBatch(kind=kind, file_name=name, sha256=name, imported_by="ld",
                                    started_at=when, finished_at=when, status=status,
                                    rows_loaded=10, rows_rejected=1))  # fmt: skip

    with Session(engine) as session:
        imports = last_imports(session, ADMIN)
        assert imports["source"].tolist() == ["records_csv", "roster_csv"]
        assert imports["file_name"].tolist() == ["april.csv", "people.csv"]
        assert imports["imports"].tolist() == [2, 1]
        assert imports["days_since"].tolist() == [3, 60]
        manager = Viewer(person_id=roster["M"], email="m@example.com", name="M", is_manager=True)
        with pytest.raises(NotPermitted):
            last_imports(session, manager)


def test_filters_narrow_the_totals_and_offer_only_values_in_scope(
    engine: Engine, roster: dict[str, int]
) -> None:
    with Session(engine) as session:
        options = filter_options(session, ADMIN)
        assert options.job_families == {"F": "Family"}
        assert options.departments == ("Data", "Ops")
        assert options.locations == ("Berlin", "Lisbon")
        assert options.levels == (1,)
        assert organisation_totals(session, ADMIN).people == 5
        data = organisation_totals(session, ADMIN, where=OrganisationFilter(department="Data"))
        assert (data.people, data.managers, data.learning_records) == (3, 1, 2)
        berlin_level_1 = OrganisationFilter(location="Berlin", level=1)
        assert organisation_totals(session, ADMIN, where=berlin_level_1).people == 1
        family = organisation_headcount(session, ADMIN, OrganisationFilter(job_family="F"))
        assert family["level"].tolist() == ["Rank 1", "Rank 2", "No pathway level"]
        assert family["headcount"].tolist() == [1, 0, 1]
        manager = Viewer(person_id=roster["M"], email="m@example.com", name="M")
        assert filter_options(session, manager).departments == ("Data",)


def test_levels_by_family_sets_title_beside_evidence() -> None:
    headcount = pd.DataFrame({"job_family": ["Family", "Family", "No job family"],
                              "rank": [1, 2, None], "level": ["Rank 1", "Rank 2",
                              "No pathway level"], "headcount": [3, 1, 2]})  # fmt: skip
    people = pd.DataFrame({"job_family": ["F", "F", "F", "F", None],
                           "attained_level": [0, 1, 1, 2, None]})  # fmt: skip
    levels = pd.DataFrame({"code": ["F", "F"], "job_family": ["Family", "Family"],
                           "rank": [1, 2], "level": ["Rank 1", "Rank 2"]})  # fmt: skip

    table = levels_by_family(headcount, people, levels)

    assert table["level"].tolist() == [BELOW_FIRST_LEVEL, "Rank 1", "Rank 2", "No pathway level"]
    assert table["headcount"].tolist() == [0, 3, 1, 2]
    assert table["attained"].tolist() == [1, 2, 1, 0]


# The page, through AppTest on a demo organisation.


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("organisation_demo") / "pathwise.db"
    engine = open_database(f"sqlite:///{path}")
    seed_demo_organisation(engine, people=60)
    engine.dispose()
    return path


@pytest.fixture
def demo_url(demo_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "pathwise.db"
    shutil.copy(demo_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def demo_engine(demo_url: str) -> Iterator[Engine]:
    engine = open_database(demo_url)
    yield engine
    engine.dispose()


@pytest.fixture
def admin(demo_engine: Engine) -> Viewer:
    with Session(demo_engine) as session:
        return demo_personas(session)["ld_admin"]


def open_organisation(monkeypatch: pytest.MonkeyPatch, url: str) -> AppTest:
    monkeypatch.chdir(PROJECT_ROOT)
    monkeypatch.setenv("PATHWISE_DB_URL", url)
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.selectbox(key="view_as").select("ld_admin").run()
    at.switch_page(ORGANISATION_PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    [found] = [table.value for table in at.dataframe if column in table.value.columns]
    return found


def build_cohort(at: AppTest, family: str) -> None:
    at.selectbox(key="cohort_family").select(family)
    at.slider(key="cohort_readiness").set_value(0)
    at.button(key="FormSubmitter:cohort-Build cohort").click().run()
    assert not at.exception, [e.value for e in at.exception]


def test_headline_figures_and_levels_match_the_read_models(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str, admin: Viewer
) -> None:
    with Session(demo_engine) as session:
        totals = organisation_totals(session, admin)
        progress = group_progress(session, admin)

    at = open_organisation(monkeypatch, demo_url)

    shown = metrics(at)
    assert shown["People"] == f"{totals.people:,}"
    assert shown["Learning records"] == f"{totals.learning_records:,}"
    assert progress.share_ready is not None
    assert shown["Ready for their next level"] == f"{progress.share_ready:.0%}"
    levels = table_with(at, "attained")
    assert levels["headcount"].sum() == totals.people
    on_pathway = progress.people["attained_level"].notna().sum()
    assert levels["attained"].sum() == on_pathway
    charts = at.get("plotly_chart")
    assert len(charts) == 3
    assert all(chart.proto.alt for chart in charts)
    assert "differences between groups, not their causes" in " ".join(c.value for c in at.caption)


def test_a_filter_narrows_every_figure(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str, admin: Viewer
) -> None:
    at = open_organisation(monkeypatch, demo_url)
    department = at.selectbox(key="org_department").options[1]

    at.selectbox(key="org_department").select(department).run()

    where = OrganisationFilter(department=department)
    with Session(demo_engine) as session:
        totals = organisation_totals(session, admin, where=where)
        progress = group_progress(session, admin, department=department)
        quiet, _people = quiet_people(session, admin, where)
    shown = metrics(at)
    assert shown["People"] == f"{totals.people:,}"
    assert shown["No evidence in the last 180 days"] == f"{quiet:,}"
    assert table_with(at, "attained")["headcount"].sum() == totals.people
    departments = progress.department_gaps.index.tolist()
    assert departments in ([department], [])


def test_a_filter_nobody_matches_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str, admin: Viewer
) -> None:
    with Session(demo_engine) as session:
        options = filter_options(session, admin)
        empty = next(
            (department, family)
            for department in options.departments
            for family in options.job_families
            if organisation_totals(
                session, admin, where=OrganisationFilter(job_family=family, department=department)
            ).people
            == 0
        )
    at = open_organisation(monkeypatch, demo_url)

    at.selectbox(key="org_department").select(empty[0])
    at.selectbox(key="org_family").select(empty[1]).run()

    assert any(i.value.startswith("No one matches these filters.") for i in at.info)
    assert not at.get("plotly_chart")


def test_a_gap_opens_who_it_holds_back_and_the_evidence_behind_their_score(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str, admin: Viewer
) -> None:
    with Session(demo_engine) as session:
        progress = group_progress(session, admin)
    top = progress.top_gaps.iloc[0]
    at = open_organisation(monkeypatch, demo_url)

    at.selectbox(key="org_explain_competency").select(top["competency"]).run()

    held = table_with(at, "missing")
    assert len(held) == top["people"]
    person = at.selectbox(key="org_explain_person")
    person.select_index(0).run()
    name = person.options[0]
    person_id = int(progress.people.loc[progress.people["name"] == name, "person_id"].iloc[0])
    with Session(demo_engine) as session:
        competency_id = find_competency(session, top["competency"])
        expected = explain_mastery(session, admin, person_id, competency_id)
    if expected.summary:
        assert len(table_with(at, "share")) == len(expected.evidence)
    else:
        assert any("has no usable evidence on this competency" in i.value for i in at.info)


def test_the_cohort_builder_lists_the_cohort_and_exports_it_safely(
    monkeypatch: pytest.MonkeyPatch,
    demo_engine: Engine,
    demo_url: str,
    admin: Viewer,
    downloads: dict[str, bytes],
) -> None:
    with Session(demo_engine) as session, session.begin():
        expected = cohort(session, admin, "DATA", 0.0)
        session.execute(
            update(Person)
            .where(Person.external_id == expected["person"].iloc[0])
            .values(name="=1+1")
        )
    at = open_organisation(monkeypatch, demo_url)

    build_cohort(at, "DATA")

    shown = table_with(at, "readiness")
    assert len(shown) == len(expected)
    assert shown["readiness"].tolist() == pytest.approx((expected["readiness"] * 100).tolist())
    assert percent_cells(at, "readiness") == whole_percents(expected["readiness"].tolist())
    csv = pd.read_csv(io.BytesIO(downloads["cohort-data.csv"]), encoding="utf-8-sig")
    assert len(csv) == len(expected)
    assert csv["Employee id"].tolist() == expected["person"].tolist()
    assert csv["Readiness"].tolist() == pytest.approx(expected["readiness"].tolist())
    assert "Title and evidence" in csv.columns
    assert "'=1+1" in csv["Name"].tolist()
    sheet = openpyxl.load_workbook(io.BytesIO(downloads["cohort-data.xlsx"])).active
    assert sheet is not None
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    assert "'=1+1" in [cell.value for cell in cells]

    at.get("download_button")[0].click().run()

    with Session(demo_engine) as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).one()
    assert (entry.actor, entry.target_type, entry.target_id) == (
        admin.email, "cohort", "cohort-data.xlsx",
    )  # fmt: skip
    assert entry.details["rows"] == len(expected)

    at.session_state["cohort_table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()

    assert expected["name"].iloc[1] in [header.value for header in at.subheader]
    chosen = _person_id(demo_engine, expected["person"].iloc[1])
    assert f"explain_{chosen}" in [box.key for box in at.selectbox]


def test_the_cohort_names_levels_and_says_how_the_evidence_sits_against_the_title(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str, admin: Viewer
) -> None:
    """One person's title is set a level below what their evidence attains, so the pathway
    rules measure them against the level they attain: Next level equals Level attained, and
    only their title and "working above title" say why."""
    with Session(demo_engine) as session, session.begin():
        before = cohort(session, admin, "DATA", 0.0)
        at_title = before[(before["title_level"] == before["attained_level"])
                          & (before["attained_level"] > 0)]  # fmt: skip
        above = at_title["person"].iloc[0]
        session.execute(
            update(Person)
            .where(Person.external_id == above)
            .values(title_level=int(at_title["attained_level"].iloc[0]) - 1)
        )
    with Session(demo_engine) as session:
        expected = cohort(session, admin, "DATA", 0.0).set_index("person")
        titles = level_titles(session)
    assert expected.loc[above, "next_level"] == expected.loc[above, "attained_level"]
    assert (expected["title_level"] > expected["attained_level"]).any(), "the demo has some"
    at = open_organisation(monkeypatch, demo_url)

    build_cohort(at, "DATA")

    shown = table_with(at, "title_check").set_index("person")
    assert sorted(shown.index) == sorted(expected.index)

    def named(rank: object) -> str | None:
        return None if pd.isna(rank) else level_label(titles, "DATA", int(rank))

    for person, row in expected.iterrows():
        assert shown.loc[person, "title"] == named(row["title_level"])
        assert shown.loc[person, "level"] == named(row["attained_level"])
        assert shown.loc[person, "next_level"] == named(row["next_level"])
        check = shown.loc[person, "title_check"]
        assert (None if pd.isna(check) else check) == (
            WORKING_ABOVE_TITLE if row["attained_level"] > row["title_level"]
            else TITLE_AHEAD_OF_EVIDENCE if row["title_level"] > row["attained_level"]
            else None
        )  # fmt: skip
    assert shown.loc[above, "title_check"] == WORKING_ABOVE_TITLE
    assert shown.loc[above, "next_level"] == shown.loc[above, "level"]


def _person_id(engine: Engine, external_id: str) -> int:
    with Session(engine) as session:
        found = session.scalar(select(Person.id).where(Person.external_id == external_id))
    assert found is not None
    return found


def test_equity_shows_the_groups_and_hides_the_small_ones(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str, admin: Viewer
) -> None:
    with Session(demo_engine) as session:
        expected = progression_equity(session, admin, "department")
    assert expected["suppressed"].any(), "the demo has a department under five"
    at = open_organisation(monkeypatch, demo_url)

    at.selectbox(key="equity_attribute").select("department").run()

    shown = table_with(at, "level_up_rate")
    assert shown["group"].tolist() == expected["group"].tolist()
    small = expected["suppressed"].to_numpy()
    assert set(shown.loc[small, "people"]) == {FEWER_THAN}
    assert shown.loc[small, ["mean_readiness", "share_ready"]].isna().all().all()
    for column in ("mean_readiness", "share_ready", "level_up_rate"):
        cells = pd.Series(percent_cells(at, column))[~small].tolist()
        assert cells == whole_percents(expected.loc[~small, column].tolist())
    assert shown.loc[~small, "people"].astype(int).tolist() == (
        expected.loc[~small, "people"].astype(int).tolist()
    )
    assert len(at.get("plotly_chart")) == 4


def test_freshness_shows_the_last_import_of_each_source(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str, admin: Viewer
) -> None:
    with Session(demo_engine) as session, session.begin():
        when = NOW - timedelta(days=4)
        session.add(ImportBatch(kind="records_csv", file_name="=evil.csv", sha256="x",
                                imported_by="ld@example.com", started_at=when,
                                finished_at=when, status=BatchStatus.APPLIED))  # fmt: skip

    at = open_organisation(monkeypatch, demo_url)

    imports = table_with(at, "days_since")
    assert imports["source"].tolist() == ["demo", "records_csv"]
    assert imports[["file_name", "days_since"]].values.tolist()[1] == ["=evil.csv", 4]
    with Session(demo_engine) as session:
        quiet, people = quiet_people(session, admin)
    assert metrics(at)["No evidence in the last 180 days"] == f"{quiet:,}"
    if quiet:
        assert table_with(at, "manager")["name"].tolist() == people["name"].tolist()


def test_programme_effectiveness_compares_each_kind_with_its_comparison_group(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str, admin: Viewer
) -> None:
    with Session(demo_engine) as session:
        expected = programme_effectiveness(session, admin, 90)
    at = open_organisation(monkeypatch, demo_url)
    assert not any("difference" in table.value.columns for table in at.dataframe)

    at.selectbox(key="programme_window").select(90).run()

    shown = table_with(at, "difference")
    assert len(shown) == len(expected)
    assert shown["difference"].tolist() == pytest.approx(expected["difference"].tolist(),
                                                         nan_ok=True)  # fmt: skip
    small = expected["suppressed"].to_numpy()
    assert set(shown.loc[small, "participants"]) <= {FEWER_THAN}
    assert "not a measured effect" in " ".join(c.value for c in at.caption)
    assert any("completed one beside a comparison group" in chart.proto.alt
               for chart in at.get("plotly_chart"))  # fmt: skip


def test_clicking_a_department_cell_lists_who_there_is_held_back(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str, admin: Viewer
) -> None:
    with Session(demo_engine) as session:
        progress = group_progress(session, admin)
    shares = progress.department_gaps.stack()
    department, code = shares[shares > 0].index[0]
    at = open_organisation(monkeypatch, demo_url)

    at.session_state["department_heatmap"] = {
        "selection": {"points": [{"x": code, "y": department}], "point_indices": [0],
                      "box": [], "lasso": []}
    }  # fmt: skip
    at.run()

    held = table_with(at, "missing")
    people = progress.people
    in_department = people[people["department"] == department]
    expected = progress.gap_matrix.loc[in_department["person"], code].notna().sum()
    assert len(held) == expected > 0
    assert set(held["department"]) == {department}
    assert any(c.value.startswith(f"The {expected} {'person' if expected == 1 else 'people'} in "
                                  f"{department} held back by")
               for c in at.caption)  # fmt: skip


def test_without_a_framework_only_the_roster_figures_and_freshness_show(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'roster-only.db'}"
    engine = open_database(url)
    with Session(engine) as session, session.begin():
        session.add(Person(external_id="A", name="Ada Admin", email="a@example.org"))
        session.add(RoleGrant(email="a@example.org", role=Role.LD_ADMIN, granted_by="op"))
    engine.dispose()

    at = open_organisation(monkeypatch, url)

    assert metrics(at) == {"People": "1", "Learning records": "0",
                           "No evidence in the last 180 days": "1"}  # fmt: skip
    assert any(i.value.startswith("No framework is loaded yet") for i in at.info)
    assert any(i.value.startswith("Nothing has been imported yet") for i in at.info)
    assert not at.get("plotly_chart")


def test_self_ratings_against_the_evidence_are_worked_out_on_request(
    monkeypatch: pytest.MonkeyPatch, demo_engine: Engine, demo_url: str, admin: Viewer
) -> None:
    """Someone rates themselves 5 on a competency they had no records of and their manager
    attests 0.5: the competency gains one person rating high."""
    with Session(demo_engine) as session:
        before = calibration_of(session, admin).set_index("name")
    with Session(demo_engine) as session, session.begin():
        person = session.scalars(
            select(Person).where(Person.manager_id.is_not(None)).order_by(Person.id)
        ).first()
        assert person is not None
        assert person.manager is not None
        held = select(LearningRecord.competency_id).where(
            LearningRecord.person_id == person.id, LearningRecord.competency_id.is_not(None)
        )
        competency = session.scalars(
            select(Competency).where(Competency.id.not_in(held)).order_by(Competency.id)
        ).first()
        assert competency is not None
        rating = {"competency_id": competency.id, "rating": 5.0, "note": "I lead on it"}
        rate_myself(session, viewer_for_person(session, person), person.id, rating)
        manager = viewer_for_person(session, person.manager)
        attest(session, manager, person.id, competency.id, 0.5, "Not seen it yet")
        name = competency.name
    with Session(demo_engine) as session:
        expected = calibration_of(session, admin)
    at = open_organisation(monkeypatch, demo_url)
    assert_calibration_shown(at, "org_calibration", expected, before, name)
