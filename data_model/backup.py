"""Back the whole database up to one file, and restore it from one.

SQLite uses its online backup API: the copy is a consistent snapshot taken while the app keeps
serving, and a restore copies the file's pages into the live database under its write lock,
so no one reads half of each. PostgreSQL uses `pg_dump` and `pg_restore` (custom format) when
they are on PATH; otherwise the command says exactly what to run. Either way the restored
database is then migrated, so a backup taken by an older Pathwise comes back at the newest
schema.
"""

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from data_model.database import DatabaseUnavailable, alembic_config, migrate_to_head


class BackupFailed(DatabaseUnavailable):
    """A backup or restore that could not be done; the message says why and what to do."""


def backup(engine: Engine, target: Path) -> str:
    """Write the database to `target` (which must not exist yet); one sentence saying so."""
    if target.exists():
        raise BackupFailed(f"{target} already exists; choose a new file name for the backup.")
    if engine.dialect.name == "sqlite":
        return _sqlite_backup(engine, target)
    return _pg_backup(engine, target)


def restore(engine: Engine, source: Path) -> str:
    """Replace everything in the database with the backup in `source`, then migrate it."""
    if not source.is_file():
        raise BackupFailed(f"{source} is not a file.")
    if engine.dialect.name == "sqlite":
        _sqlite_restore(engine, source)
    else:
        _pg_restore(engine, source)
    engine.dispose()
    migrate_to_head(engine)
    return f"Restored {_shown(engine.url)} from {source}."


def _shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _sqlite_backup(engine: Engine, target: Path) -> str:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    with engine.connect() as connection:
        live = connection.connection.driver_connection
        copy = sqlite3.connect(partial)
        try:
            live.backup(copy)
        finally:
            copy.close()
    partial.replace(target)
    megabytes = target.stat().st_size / 1024**2
    return f"Backed up {_shown(engine.url)} to {target} ({megabytes:,.1f} MB)."


def _known_revisions(engine: Engine) -> set[str]:
    scripts = ScriptDirectory.from_config(alembic_config(engine))
    return {revision.revision for revision in scripts.walk_revisions()}


def _check_sqlite_backup(engine: Engine, source: Path) -> None:
    """Refuse a file that is not a sound Pathwise SQLite database this version can read."""
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as candidate:
            sound = candidate.execute("PRAGMA quick_check").fetchone()[0] == "ok"
            versions = candidate.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.DatabaseError as error:
        raise BackupFailed(f"{source} is not a Pathwise SQLite backup ({error}).") from error
    if not sound:
        raise BackupFailed(f"{source} is damaged: SQLite's integrity check fails on it.")
    unknown = {version for (version,) in versions} - _known_revisions(engine)
    if unknown:
        raise BackupFailed(
            f"{source} comes from a newer Pathwise (schema {', '.join(sorted(unknown))}); "
            "upgrade Pathwise before restoring it."
        )


def _sqlite_restore(engine: Engine, source: Path) -> None:
    _check_sqlite_backup(engine, source)
    with (
        closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as backup_file,
        engine.connect() as connection,
    ):
        backup_file.backup(connection.connection.driver_connection)


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The URL as pg_dump takes it, without the password (which would show in `ps`), and
    the environment that carries the password instead."""
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    plain = URL.create("postgresql", url.username, None, url.host, url.port, url.database,
                       url.query)  # fmt: skip
    return plain.render_as_string(hide_password=False), environment


def _run_tool(name: str, arguments: list[str], url: URL) -> None:
    address, environment = _libpq(url)
    command = [name, *arguments, f"--dbname={address}"]
    tool = shutil.which(name)
    if tool is None:
        raise BackupFailed(
            f"{name} is not on PATH; install the PostgreSQL client tools, or run this where "
            f"they are: {' '.join(command)}"
        )
    result = subprocess.run(
        [tool, *command[1:]], env=environment, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupFailed(f"{name} failed: {reason}")


def _pg_backup(engine: Engine, target: Path) -> str:
    target.parent.mkdir(parents=True, exist_ok=True)
    _run_tool("pg_dump", ["--format=custom", "--no-owner", f"--file={target}"], engine.url)
    megabytes = target.stat().st_size / 1024**2
    return f"Backed up {_shown(engine.url)} to {target} with pg_dump ({megabytes:,.1f} MB)."


def _pg_restore(engine: Engine, source: Path) -> None:
    engine.dispose()
    _run_tool(
        "pg_restore",
        ["--clean", "--if-exists", "--no-owner", "--single-transaction", str(source)],
        engine.url,
    )
