"""Writing the materialised `mastery` table fast: rows and deletes go to the driver's executemany.

SQLAlchemy's per-row parameter handling costs more than the database's own work for the tens of
thousands of rows one import refreshes, so rows are built column-wise from the engine's result
as tuples. Each value still goes through SQLAlchemy's bind processor for its column type (time
stamps in UTC, p_levels and support_levels serialised as the JSON column would), so what is
stored is exactly what a Core insert would store.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Dialect
from sqlalchemy.orm import Session

from data_model.bulk import driver_placeholder
from data_model.mastery import PAIR
from data_model.models import MasteryScore

COLUMNS = [
    *PAIR, "method", "mastery", "support", "confidence", "evidence_count",
    "last_evidence_at", "p_levels", "support_levels", "as_of", "computed_at",
]  # fmt: skip
CONSTANT = {"as_of", "computed_at"}
"""Columns with one value for the whole write: converted once."""


class MasteryWriter:
    """Deletes and inserts `mastery` rows for one database dialect."""

    def __init__(self, dialect: Dialect) -> None:
        table = MasteryScore.__table__
        self.processors = {
            name: table.c[name].type._cached_bind_processor(dialect) for name in COLUMNS
        }
        placeholder = driver_placeholder(dialect)
        quote = dialect.identifier_preparer.quote
        names = ", ".join(quote(name) for name in COLUMNS)
        values = ", ".join(placeholder for _ in COLUMNS)
        person, competency = (quote(name) for name in PAIR)
        # Table and column names are constants; values go as parameters.
        self.insert_statement = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({values})"  # noqa: S608
        self.delete_statement = (
            f"DELETE FROM {quote(table.name)} "  # noqa: S608
            f"WHERE {person} = {placeholder} AND {competency} = {placeholder}"
        )
        self.postgresql = dialect.name == "postgresql"
        self.copy_statement = f"COPY {quote(table.name)} ({names}) FROM STDIN"
        self.delete_arrays_statement = (
            f"DELETE FROM {quote(table.name)} WHERE ({person}, {competency}) IN "  # noqa: S608
            "(SELECT * FROM unnest(%s::bigint[], %s::bigint[]))"
        )

    @classmethod
    def for_session(cls, session: Session) -> "MasteryWriter":
        return cls(session.get_bind().dialect)

    def _converted(self, name: str, values: list[Any]) -> list[Any]:
        processor = self.processors[name]
        if processor is None:
            return values
        return [None if value is None else processor(value) for value in values]

    def rows(
        self, result: pd.DataFrame, as_of: datetime, computed_at: datetime
    ) -> list[tuple[Any, ...]]:
        """Driver-ready rows from the engine's result (`mastery.RESULT_COLUMNS`)."""
        if result.empty:
            return []
        mastery = result["mastery"].to_numpy(float)
        last = result["last_evidence_at"]
        columns: dict[str, list[Any]] = {
            "person_id": result["person_id"].to_numpy(np.int64).tolist(),
            "competency_id": result["competency_id"].to_numpy(np.int64).tolist(),
            "method": result["method"].tolist(),
            "mastery": np.where(np.isnan(mastery), None, mastery).tolist(),
            "support": result["support"].to_numpy(float).tolist(),
            "confidence": result["confidence"].to_numpy(float).tolist(),
            "evidence_count": result["evidence_count"].to_numpy(np.int64).tolist(),
            "last_evidence_at": np.where(
                last.isna().to_numpy(), None, last.dt.to_pydatetime().to_numpy()
            ).tolist(),
            "p_levels": result["p_levels"].tolist(),
            "support_levels": result["support_levels"].tolist(),
        }
        constants = {"as_of": as_of, "computed_at": computed_at}
        converted = [
            self._converted(name, [constants[name]]) * len(result)
            if name in CONSTANT
            else self._converted(name, columns[name])
            for name in COLUMNS
        ]
        return list(zip(*converted, strict=True))

    def insert(self, session: Session, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert inside the session's transaction; on PostgreSQL by COPY, which psycopg's
        pipelined executemany, one statement per row, is several times slower than."""
        if not rows:
            return
        connection = session.connection()
        if not self.postgresql:
            connection.exec_driver_sql(self.insert_statement, list(rows))
            return
        driver = connection.connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(self.copy_statement) as copy:
            for row in rows:
                copy.write_row(row)

    def delete_pairs(
        self, session: Session, person_ids: Sequence[int], competency_ids: Sequence[int]
    ) -> None:
        """Delete these (person, competency) rows: one primary-key lookup each, on PostgreSQL
        in one statement over the pairs as two arrays."""
        if not person_ids:
            return
        connection = session.connection()
        if self.postgresql:
            connection.exec_driver_sql(
                self.delete_arrays_statement, (list(person_ids), list(competency_ids))
            )
        else:
            pairs = list(zip(person_ids, competency_ids, strict=True))
            connection.exec_driver_sql(self.delete_statement, pairs)
