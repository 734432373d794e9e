"""The one place that opens the database: engine settings per backend and migration to head.

Everything that goes wrong here is turned into `DatabaseUnavailable`, whose message is one
sentence a person can act on, so neither the app nor the command line shows a traceback.
"""

import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, Table, create_engine, event, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    NoSuchModuleError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def _bind_numpy_numbers_as_numbers() -> None:
    """Let SQLite bind numpy's integers as integers. Without this, sqlite3 binds an `np.int64`
    (an id taken from a DataFrame, say) through the buffer protocol as a BLOB, which equals no
    INTEGER, so a query silently finds nothing. psycopg refuses such values loudly instead."""
    for integer in (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32):
        sqlite3.register_adapter(integer, int)
    sqlite3.register_adapter(np.float32, float)
    sqlite3.register_adapter(np.bool_, bool)


_bind_numpy_numbers_as_numbers()


class DatabaseUnavailable(Exception):
    """The database cannot be opened, written or migrated."""


class DatabaseBusy(DatabaseUnavailable, OperationalError):
    """SQLite stayed locked by another writer for the whole bounded wait (`busy_timeout`).

    Still an `OperationalError`, so code that handles the driver's own error keeps doing so;
    its message is the one sentence a person can act on.
    """

    def __init__(self, statement: str | None, params: Any, orig: BaseException) -> None:
        OperationalError.__init__(self, statement, params, orig)

    def __str__(self) -> str:
        return (
            "The database is busy: another import or recalculation has been writing to it "
            f"for over {SQLITE_BUSY_TIMEOUT_MS / 1000:g} seconds; try again once it has finished."
        )


def _describe(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _reason(error: BaseException) -> str:
    """The driver's own words, without SQLAlchemy's statement dump and links."""
    original = getattr(error, "orig", None) or error
    return str(original).strip().splitlines()[0].rstrip(".")


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """Foreign keys on, write-ahead log so readers never block the writer, bounded lock wait."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _busy_as_database_busy(context: ExceptionContext) -> DatabaseBusy | None:
    """SQLite's "database is locked", once the busy timeout has run out, as `DatabaseBusy`."""
    original = context.original_exception
    if isinstance(original, sqlite3.OperationalError) and "locked" in str(original):
        return DatabaseBusy(context.statement, context.parameters, original)
    return None


def _prepare_sqlite_file(url: URL) -> None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    folder = Path(database).expanduser().parent
    if folder.exists() and not folder.is_dir():
        raise DatabaseUnavailable(
            f"Cannot put the database {_describe(url)} inside {folder}: it is a file, not a folder."
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DatabaseUnavailable(
            f"Cannot create the folder {folder} for the database {_describe(url)}: "
            f"{error.strerror or error}."
        ) from error


def create_database_engine(url_text: str) -> Engine:
    """An engine for `url_text`, tuned for its backend; nothing is connected yet."""
    try:
        url = make_url(url_text)
    except ArgumentError as error:
        raise DatabaseUnavailable(f"'{url_text}' is not a database URL.") from error
    options: dict[str, Any] = {}
    if url.get_backend_name() == "sqlite":
        _prepare_sqlite_file(url)
    else:
        options["pool_pre_ping"] = True
    try:
        engine = create_engine(url, **options)
    except (NoSuchModuleError, ImportError) as error:
        raise DatabaseUnavailable(
            f"No database driver for {_describe(url)}; use sqlite:/// or postgresql+psycopg://."
        ) from error
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _tune_sqlite)
        event.listen(engine, "handle_error", _busy_as_database_busy)
    return engine


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def migrate_to_head(engine: Engine) -> None:
    """Bring the schema to the newest migration; a database already there is left as it is."""
    try:
        command.upgrade(alembic_config(engine), "head")
    except (DBAPIError, SQLAlchemyError, OSError) as error:
        raise DatabaseUnavailable(
            f"Cannot open the database {_describe(engine.url)}: {_reason(error)}."
        ) from error


def open_database(url_text: str) -> Engine:
    """Create the engine and migrate: what the app and every command do first."""
    engine = create_database_engine(url_text)
    migrate_to_head(engine)
    return engine


def refresh_planner_statistics(engine: Engine) -> None:
    """ANALYZE after a bulk write, so the query planner picks the person indexes.

    Without statistics SQLite may answer "this person's records" by scanning an index on a
    nullable column instead, which is a hundred times slower at a million records.
    """
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")


IMPORT_LOCK_KEY = 7_310_457
"""The PostgreSQL advisory lock that writers of learning records and mastery share."""


def serialise_writers(session: Session) -> None:
    """Make this transaction the only one writing records and mastery until it ends.

    Two imports that touch the same people would otherwise each recompute mastery from a
    snapshot without the other's records, and the later commit would undo the earlier one's
    update. PostgreSQL takes a transaction-scoped advisory lock, released at commit or
    rollback, so nothing is left hanging. SQLite admits one writer at a time, but Python's
    driver only begins the transaction at its first write, so what was read before it (the
    mastery settings a recompute uses, say) could already be stale; taking the write lock now
    (BEGIN IMMEDIATE, waiting up to the busy timeout) makes everything after it one snapshot.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK_KEY})
    elif not connection.connection.driver_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def upsert_insert(bind: Engine | Session, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that can say ON CONFLICT, in the dialect of the database behind `bind`
    (SQLite and PostgreSQL spell the same clause through different constructs)."""
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    if engine.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())
