"""Downloads that leave a trace: every file a viewer takes away is an "export" audit entry.

Use `audited_download` instead of `st.download_button` on every page, and build CSV and Excel
files with `csv_file` and `excel_file`, which neutralise cells a spreadsheet would run as a
formula.
"""

import io
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from data_model.audit import record_audit
from data_model.exports import safe_for_spreadsheet
from ui.context import PageContext, page_context
from ui.database import engine_for

EXPORT = "export"
CSV_MIME = "text/csv"
EXCEL_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_file(frame: pd.DataFrame) -> bytes:
    """UTF-8 with a byte-order mark, so Excel reads accents right; formula cells neutralised."""
    return safe_for_spreadsheet(frame).to_csv(index=False).encode("utf-8-sig")


def excel_file(frame: pd.DataFrame, sheet: str = "Pathwise") -> bytes:
    """One worksheet, formula cells neutralised; time zones dropped, as Excel has none."""
    safe = safe_for_spreadsheet(frame)
    for column in safe.columns:
        if isinstance(safe[column].dtype, pd.DatetimeTZDtype):
            safe[column] = safe[column].dt.tz_convert("UTC").dt.tz_localize(None)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        safe.to_excel(writer, sheet_name=sheet[:31], index=False)
    return buffer.getvalue()


def record_export(context: PageContext, what: str, file_name: str, details: dict[str, Any]) -> None:
    """Write the "export" entry in a transaction of its own (the download changes nothing)."""
    with Session(engine_for(context.database_url)) as session, session.begin():
        record_audit(session, context.viewer, EXPORT, what, file_name, **details)


def audited_download(
    label: str,
    data: bytes | str,
    file_name: str,
    *,
    what: str,
    mime: str | None = None,
    key: str | None = None,
    help: str | None = None,
    details: dict[str, Any] | None = None,
) -> bool:
    """`st.download_button` that records who took which file, when they take it.

    `what` names the kind of export ("audit_trail", "team", "cohort" ...): it becomes the
    entry's target type, the file name its target id, and `details` (say, the filters or the
    row count) its details. The entry is written by the button's click callback, so showing
    the button costs nothing and each download is one entry.
    """
    return st.download_button(
        label,
        data=data,
        file_name=file_name,
        mime=mime,
        key=key,
        help=help,
        icon=":material/download:",
        on_click=record_export,
        args=(page_context(), what, file_name, details or {}),
    )
