"""Saved column mappings, so a second export from the same LMS imports without retyping."""

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data_model.database import upsert_insert
from data_model.models import ColumnMapping
from loaders.errors import FileRefused


def save_mapping(engine: Engine, name: str, mapping: dict[str, str], who: str) -> None:
    with Session(engine) as session, session.begin():
        statement = upsert_insert(engine, ColumnMapping.__table__).values(
            name=name, mapping=mapping, saved_by=who
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["name"],
                set_={"mapping": statement.excluded.mapping, "saved_by": who},
            )
        )


def load_mapping(engine: Engine, name: str) -> dict[str, str]:
    with Session(engine) as session:
        mapping = session.scalar(select(ColumnMapping.mapping).where(ColumnMapping.name == name))
    if mapping is None:
        raise FileRefused(f"There is no saved column mapping called '{name}'.")
    return dict(mapping)


def mapping_names(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.scalars(select(ColumnMapping.name).order_by(ColumnMapping.name)))
