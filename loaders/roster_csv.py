"""The roster as CSV: person id, name, email, manager id, job family, title level, department,
location, hire date, active. Any other column is kept as a person attribute (equity views use
them). People are matched by person id and updated in place."""

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data_model.database import upsert_insert
from data_model.models import JobFamily, Person
from loaders.csv_stream import read_rows
from loaders.fields import Email, YesNo, blank_to_none, limited, rejected_for
from loaders.pipeline import (
    ImportSummary,
    check_size,
    finish_batch,
    keep_rejected,
    open_batch,
)
from loaders.record_input import RowRejected

REQUIRED = {"person_id", "name", "email"}
KNOWN = {"person_id", "name", "email", "manager_id", "job_family", "title_level", "department",
         "location", "hire_date", "active"}  # fmt: skip
MAX_ROSTER_BYTES = 200 * 1024**2
Progress = Callable[[float, str], None]


class RosterRow(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    person_id: Annotated[str, limited(128, "person id")]
    name: Annotated[str, limited(256, "name", line=True)]
    email: Email
    manager_id: Annotated[str | None, limited(128, "manager id")] = None
    job_family: Annotated[str | None, BeforeValidator(blank_to_none)] = None
    title_level: Annotated[int | None, BeforeValidator(blank_to_none)] = None
    department: Annotated[str | None, limited(128, "department", line=True)] = None
    location: Annotated[str | None, limited(128, "location", line=True)] = None
    hire_date: Annotated[date | None, BeforeValidator(blank_to_none)] = None
    active: YesNo = None


def _cycle_members(managers: dict[str, str | None]) -> dict[str, list[str]]:
    """Each person in a reporting loop, with the loop, so their rows can say why."""
    in_cycle: dict[str, list[str]] = {}
    for start in managers:
        seen: list[str] = []
        current: str | None = start
        while current is not None and current not in seen:
            seen.append(current)
            current = managers.get(current)
        if current == start:
            in_cycle[start] = [*seen, start]
    return in_cycle


def import_roster(
    engine: Engine,
    path: Path,
    imported_by: str = "operator",
    mapping: dict[str, str] | None = None,
    progress: Progress = lambda _f, _m: None,
) -> ImportSummary:
    """Validate every row, reject unknown managers, manager loops and unknown job families,
    and upsert the rest in one transaction."""
    check_size(path, MAX_ROSTER_BYTES)
    summary = ImportSummary(kind="roster")
    with Session(engine) as session, session.begin():
        batch = open_batch(session, "roster", path, imported_by)
        families = dict(session.execute(select(JobFamily.code, JobFamily.id)).all())
        families |= {name.lower(): id_ for name, id_ in
                     session.execute(select(JobFamily.name, JobFamily.id)).all()}  # fmt: skip
        existing = dict(session.execute(select(Person.external_id, Person.manager_id)).all())
        valid: dict[str, tuple[int, RosterRow, dict[str, Any]]] = {}
        with path.open("rb") as handle:
            for number, row in read_rows(handle, path.name, REQUIRED, mapping):
                summary.rows += 1
                try:
                    person = RosterRow.model_validate(row)
                except ValidationError as error:
                    keep_rejected(session, batch, summary, rejected_for(number, row, error))
                    continue
                reason = _row_problem(person, families, valid)
                if reason:
                    keep_rejected(session, batch, summary, RowRejected(number, row, *reason))
                    continue
                extra = {k: v for k, v in row.items() if k not in KNOWN and v.strip()}
                valid[person.person_id] = (number, person, extra)
        progress(0.5, f"{len(valid):,} valid people")
        _reject_bad_managers(session, batch, summary, valid, set(existing))
        _upsert_people(session, valid, families)
        summary.loaded = len(valid)
        finish_batch(session, batch, summary)
    progress(1.0, "Done")
    return summary


def _row_problem(
    person: RosterRow, families: dict[str, int], valid: dict[str, Any]
) -> tuple[str, str] | None:
    if (
        person.job_family
        and person.job_family not in families
        and (person.job_family.lower() not in families)
    ):
        return ("job_family", f"No job family '{person.job_family}'.")
    if person.person_id in valid:
        return ("person_id", f"Person id {person.person_id} appears twice in the file.")
    if any(other.email.lower() == person.email.lower() for _, other, _ in valid.values()):
        return ("email", f"Email {person.email} appears twice in the file.")
    if person.title_level is not None and not 0 <= person.title_level <= 50:
        return ("title_level", "title_level must be a pathway rank (0 to 50).")
    return None


def _reject_bad_managers(
    session: Session,
    batch: Any,
    summary: ImportSummary,
    valid: dict[str, tuple[int, RosterRow, dict[str, Any]]],
    existing: set[str],
) -> None:
    """Drop rows whose manager is unknown or who sit in a reporting loop, with the reason."""
    while True:
        known = existing | set(valid)
        unknown = [pid for pid, (_, p, _) in valid.items()
                   if p.manager_id and p.manager_id not in known]  # fmt: skip
        loops = _cycle_members({pid: p.manager_id for pid, (_, p, _) in valid.items()})
        if not unknown and not loops:
            return
        for pid in unknown:
            number, person, _ = valid.pop(pid)
            keep_rejected(session, batch, summary, RowRejected(
                number, person.model_dump(mode="json"), "manager_id",
                f"Manager {person.manager_id} is not in the roster or the file."))  # fmt: skip
        for pid, loop in loops.items():
            if pid in valid:
                number, person, _ = valid.pop(pid)
                keep_rejected(session, batch, summary, RowRejected(
                    number, person.model_dump(mode="json"), "manager_id",
                    f"Manager cycle: {' -> '.join(loop)}."))  # fmt: skip
        summary.loaded = 0


def _upsert_people(
    session: Session,
    valid: dict[str, tuple[int, RosterRow, dict[str, Any]]],
    families: dict[str, int],
) -> None:
    """Insert or update every person, then wire managers once all have ids."""
    if not valid:
        return
    rows = [
        {
            "external_id": p.person_id, "name": p.name, "email": str(p.email),
            "job_family_id": (families.get(p.job_family) or families.get(p.job_family.lower()))
            if p.job_family else None,
            "title_level": p.title_level, "department": p.department, "location": p.location,
            "hire_date": p.hire_date, "active": True if p.active is None else p.active,
            "attributes": extra,
        }
        for _, p, extra in valid.values()
    ]  # fmt: skip
    statement = upsert_insert(session, Person.__table__)
    updated = {name: statement.excluded[name] for name in rows[0] if name != "external_id"}
    session.execute(
        statement.on_conflict_do_update(index_elements=["external_id"], set_=updated), rows
    )
    ids = dict(session.execute(select(Person.external_id, Person.id)).all())
    for _, person, _ in valid.values():
        manager = ids.get(person.manager_id) if person.manager_id else None
        session.execute(
            Person.__table__.update()
            .where(Person.__table__.c.id == ids[person.person_id])
            .values(manager_id=manager)
        )
