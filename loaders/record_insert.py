"""Writing learning records fast: INSERT ... ON CONFLICT DO NOTHING, rows handed to the driver.

SQLAlchemy's per-row parameter handling costs more than the database's own work at a million
rows, so rows are built as tuples and handed to the driver's executemany. Each value still
goes through SQLAlchemy's own bind processor for its column type (time stamps in UTC, enums),
so what is stored is exactly what an ORM insert would store; columns whose values repeat
(dates, enums, flags) convert each distinct value once. `raw` goes as JSON text, the text
SQLAlchemy's JSON type would write, so that a caller holding it as text already (a CSV row)
need not build a dict to have it serialised again.

On PostgreSQL psycopg's executemany runs one INSERT per row, which nearly doubles the time the
rows' own writing and indexing take; a chunk of more than a few rows there is COPied into a
temporary staging table, each row with its position, and inserted from it in one statement in
that order, so that of two rows with one dedupe key the first still wins (DO NOTHING skips a
row that conflicts with one the same statement inserted) and ids follow the input's order.
"""

import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Dialect
from sqlalchemy.orm import Session

from data_model.models import LearningRecord
from loaders.columns import each_distinct_once

COLUMNS = [
    "dedupe_key", "person_id", "activity_id", "competency_id", "occurred_at", "score",
    "max_score", "rating", "passed", "completed", "source_kind", "verification",
    "verified_by_id", "verified_at", "valid_until", "notes", "raw", "import_batch_id",
    "created_at",
]  # fmt: skip
REPEATING = {"occurred_at", "passed", "completed", "source_kind", "verification",
             "verified_at", "valid_until", "import_batch_id", "created_at"}  # fmt: skip
"""Columns with few distinct values: each is converted once per block."""
PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}
STAGING_TABLE = "pathwise_record_staging"
COPY_FROM_ROWS = 50
"""On PostgreSQL, chunks of at least this many rows go by COPY; below it, setting up the staging
table costs about what the few INSERTs it saves do."""
JSON_TEXT_CASTS = {"postgresql": "::jsonb"}
"""How a dialect turns a JSON text parameter into its JSON column type."""

Processor = Callable[[Any], Any]


class RecordInserter:
    """Inserts learning-record rows for one database dialect, skipping known dedupe keys."""

    def __init__(self, dialect: Dialect) -> None:
        table = LearningRecord.__table__
        self.processors: list[Processor | None] = [
            None if name == "raw" else table.c[name].type._cached_bind_processor(dialect)
            for name in COLUMNS
        ]
        placeholder = PLACEHOLDERS[dialect.paramstyle]
        quote = dialect.identifier_preparer.quote
        names = ", ".join(quote(name) for name in COLUMNS)
        json_text = placeholder + JSON_TEXT_CASTS.get(dialect.name, "")
        values = ", ".join(json_text if name == "raw" else placeholder for name in COLUMNS)
        conflict = f"ON CONFLICT ({quote('dedupe_key')}) DO NOTHING"
        # Table and column names are constants; values go as parameters.
        self.statement = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({values}) {conflict}"  # noqa: S608
        self.postgresql = dialect.name == "postgresql"
        staging = quote(STAGING_TABLE)
        self.create_staging = (
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ON COMMIT DROP AS "  # noqa: S608
            f"SELECT 0::bigint AS input_order, {names} FROM {quote(table.name)} WITH NO DATA"
        )
        self.copy_staging = f"COPY {staging} (input_order, {names}) FROM STDIN"
        self.insert_from_staging = (
            f"INSERT INTO {quote(table.name)} ({names}) "  # noqa: S608
            f"SELECT {names} FROM {staging} ORDER BY input_order {conflict}"
        )
        self.empty_staging = f"TRUNCATE {staging}"

    @classmethod
    def for_session(cls, session: Session) -> "RecordInserter":
        return cls(session.get_bind().dialect)

    def rows_of_dicts(self, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """Insert rows (dicts keyed by column, as `resolve_record` builds them) as tuples."""
        columns = {name: [row[name] for row in rows] for name in COLUMNS}
        columns["raw"] = [None if raw is None else json.dumps(raw) for raw in columns["raw"]]
        return self.rows_of_columns(columns)

    def rows_of_columns(self, columns: dict[str, list[Any]]) -> list[tuple[Any, ...]]:
        """Driver-ready rows from one list of values per column, `raw` as JSON text."""
        converted = []
        for name, processor in zip(COLUMNS, self.processors, strict=True):
            values = columns[name]
            if processor is None:
                converted.append(values)
            elif name in REPEATING:
                converted.append(each_distinct_once(values, processor))
            else:
                converted.append([None if v is None else processor(v) for v in values])
        return list(zip(*converted, strict=True))

    def insert(self, session: Session, rows: list[tuple[Any, ...]]) -> None:
        """Insert inside the session's transaction; rows whose dedupe key exists are skipped.

        Drivers do not agree on an executemany's row count; callers count the batch's records.
        """
        if not rows:
            return
        connection = session.connection()
        if not self.postgresql or len(rows) < COPY_FROM_ROWS:
            connection.exec_driver_sql(self.statement, rows)
            return
        driver = connection.connection.driver_connection
        with driver.cursor() as cursor:
            cursor.execute(self.create_staging)
            with cursor.copy(self.copy_staging) as copy:
                for position, row in enumerate(rows):
                    copy.write_row((position, *row))
            cursor.execute(self.insert_from_staging)
            cursor.execute(self.empty_staging)
