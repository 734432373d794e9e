"""The demo organisation: a framework, people, a catalogue and years of learning records.

Same seed, same data: every random choice comes from one seeded generator, and dates count
back from `today`, which the command line lets you pin with `--today`.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
from faker import Faker
from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from data_model.bulk import collector_paused
from data_model.database import DatabaseUnavailable, refresh_planner_statistics
from data_model.models import (
    Activity,
    ActivityCompetency,
    AuditEntry,
    BatchStatus,
    ImportBatch,
    JobFamily,
    LearningRecord,
    Person,
    Role,
    RoleGrant,
)
from data_model.rollup import recompute_all
from loaders.demo.catalogue import build_catalogue
from loaders.demo.organisation import FAKER_LOCALES, DemoPerson, build_organisation
from loaders.demo.records import DemoIds, generate_records
from loaders.framework_yaml import FrameworkSpec, add_framework, parse_framework_yaml

FRAMEWORK_FILE = Path(__file__).with_name("framework.yaml")
DEFAULT_PEOPLE = 300
DEFAULT_RECORDS_PER_PERSON = 40
DEFAULT_SEED = 42
OPERATOR = "operator"

Progress = Callable[[float, str], None]


class DatabaseNotEmpty(Exception):
    """The demo goes only into an empty database, so it never mixes with real people."""


@dataclass(frozen=True)
class DemoSummary:
    people: int
    managers: int
    competencies: int
    job_families: int
    activities: int
    records: int
    seed: int
    today: date


def demo_framework() -> FrameworkSpec:
    return parse_framework_yaml(FRAMEWORK_FILE.read_text(encoding="utf-8"), FRAMEWORK_FILE.name)


def _no_progress(_fraction: float, _message: str) -> None:
    return None


def seed_demo_organisation(
    engine: Engine,
    people: int = DEFAULT_PEOPLE,
    records_per_person: float = DEFAULT_RECORDS_PER_PERSON,
    seed: int = DEFAULT_SEED,
    today: date | None = None,
    progress: Progress = _no_progress,
) -> DemoSummary:
    """Write the whole demo organisation in one transaction (all of it or none of it), then
    roll its mastery up."""
    today = today or datetime.now(UTC).date()
    rng = np.random.default_rng(seed)
    faker = Faker(FAKER_LOCALES)
    faker.seed_instance(seed)
    spec = demo_framework()
    roster = build_organisation(rng, faker, people, today)
    catalogue = build_catalogue(list(spec.competencies))
    created_at = datetime.now(UTC)
    try:
        with Session(engine) as session, session.begin():
            existing = session.scalar(select(func.count()).select_from(Person))
            if existing:
                raise DatabaseNotEmpty(
                    f"The database already holds {existing} people; "
                    "the demo organisation goes into an empty database."
                )
            progress(0.02, "Writing the framework")
            framework = add_framework(session, spec)
            competency_ids = {c.code: c.id for c in framework.competencies}
            family_ids = dict(session.execute(select(JobFamily.code, JobFamily.id)).all())
            progress(0.05, f"Writing {len(roster):,} people")
            person_ids = _write_people(session, roster, family_ids)
            activity_ids = _write_catalogue(session, catalogue, competency_ids)
            batch = ImportBatch(
                kind="demo",
                file_name=f"demo organisation (seed {seed}, {people} people)",
                sha256=hashlib.sha256(
                    json.dumps([seed, people, records_per_person, str(today)]).encode()
                ).hexdigest(),
                imported_by=OPERATOR,
            )
            session.add(batch)
            session.flush()
            ids = DemoIds(person_ids, competency_ids, activity_ids)
            records = 0
            chunks = generate_records(
                rng, roster, spec.competencies, catalogue, ids, today, records_per_person,
                batch.id, created_at,
            )  # fmt: skip
            for chunk in chunks:
                with collector_paused():
                    session.connection().execute(insert(LearningRecord.__table__), chunk)
                records += len(chunk)
                expected = max(1.0, people * records_per_person)
                progress(min(0.8, 0.1 + 0.7 * records / expected), f"{records:,} records")
            batch.rows_total = batch.rows_loaded = records
            batch.status = BatchStatus.APPLIED
            batch.finished_at = datetime.now(UTC)
            summary = DemoSummary(
                people=len(roster),
                managers=len({p.manager_index for p in roster if p.manager_index is not None}),
                competencies=len(competency_ids),
                job_families=len(family_ids),
                activities=len(activity_ids),
                records=records,
                seed=seed,
                today=today,
            )
            session.add(
                AuditEntry(
                    actor=OPERATOR,
                    action="demo.seed",
                    target_type="import_batch",
                    target_id=str(batch.id),
                    details={key: str(value) for key, value in asdict(summary).items()},
                )
            )
        refresh_planner_statistics(engine)
        recompute_all(
            engine,
            progress=lambda fraction, message: progress(
                0.8 + 0.2 * fraction, f"Mastery: {message}"
            ),
        )
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        raise DatabaseUnavailable(f"Cannot write the demo organisation: {reason}.") from error
    progress(1.0, "Done")
    return summary


def _write_people(
    session: Session, roster: list[DemoPerson], family_ids: dict[str, int]
) -> list[int]:
    """Insert the roster, then wire up managers once every person has an id."""
    session.execute(
        insert(Person),
        [
            {
                "external_id": p.external_id,
                "name": p.name,
                "email": p.email,
                "job_family_id": family_ids.get(p.job_family) if p.job_family else None,
                "title_level": p.title_level,
                "department": p.department,
                "location": p.location,
                "hire_date": p.hire_date,
                "active": True,
                "attributes": p.attributes,
            }
            for p in roster
        ],
    )
    by_external = dict(session.execute(select(Person.external_id, Person.id)).all())
    ids = [by_external[p.external_id] for p in roster]
    session.execute(
        update(Person),
        [
            {"id": ids[p.index], "manager_id": ids[p.manager_index]}
            for p in roster
            if p.manager_index is not None
        ],
    )
    session.execute(
        insert(RoleGrant),
        [
            {"email": p.email, "role": Role.LD_ADMIN, "granted_by": OPERATOR}
            for p in roster
            if p.is_ld_admin
        ],
    )
    return ids


def _write_catalogue(
    session: Session, catalogue: list, competency_ids: dict[str, int]
) -> dict[str, int]:
    session.execute(
        insert(Activity),
        [
            {
                "external_id": a.external_id,
                "xapi_iri": a.xapi_iri,
                "title": a.title,
                "kind": a.kind,
                "formal": a.formal,
                "provider": a.provider,
                "hours": a.hours,
                "url": a.url,
                "pass_mark": 0.7 if a.scoring else None,
                "scoring": a.scoring,
                "description": "",
            }
            for a in catalogue
        ],
    )
    ids = dict(session.execute(select(Activity.external_id, Activity.id)).all())
    tags = [
        {
            "activity_id": ids[a.external_id],
            "competency_id": competency_ids[a.competency],
            "target_level": a.target_level,
            "weight": 1.0,
        }
        for a in catalogue
    ] + [
        {
            "activity_id": ids[a.external_id],
            "competency_id": competency_ids[a.secondary[0]],
            "target_level": a.secondary[1],
            "weight": 0.5,
        }
        for a in catalogue
        if a.secondary and a.secondary[0] in competency_ids
    ]
    session.execute(insert(ActivityCompetency), tags)
    return ids
