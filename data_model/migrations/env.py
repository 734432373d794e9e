"""Alembic environment: migrates the engine Pathwise hands over, or the configured database."""

from alembic import context
from sqlalchemy import Engine

from data_model.config import resolve_database_url
from data_model.database import create_database_engine
from data_model.models import Base

config = context.config
engine: Engine = config.attributes.get("engine") or create_database_engine(resolve_database_url())

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
