"""How a page's failures read: one sentence, never a traceback (`ui.errors.shown_as_messages`)."""

import sqlite3

from sqlalchemy.exc import OperationalError
from streamlit.testing.v1 import AppTest

from data_model.database import DatabaseBusy


def _page_failing_with(error: Exception) -> None:
    from ui.errors import shown_as_messages

    with shown_as_messages("My progress"):
        raise error


def _messages(error: Exception) -> list[str]:
    at = AppTest.from_function(_page_failing_with, args=(error,)).run()
    assert not at.exception, [e.value for e in at.exception]
    return [message.value for message in at.error]


def test_a_busy_database_says_so_in_its_own_sentence() -> None:
    busy = DatabaseBusy("UPDATE mastery", {}, sqlite3.OperationalError("database is locked"))
    assert _messages(busy) == [str(busy)]
    assert str(busy).startswith("The database is busy")


def test_other_database_failures_keep_the_general_message() -> None:
    failure = OperationalError("SELECT 1", {}, sqlite3.OperationalError("disk I/O error"))
    assert _messages(failure) == [
        "The database stopped answering (disk I/O error); reload the page to try again."
    ]
