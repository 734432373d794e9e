"""Data: load files, check them before anything is written, undo a batch, map unknown keys.

For L&D admins and operators only. Every write is audited as the viewer's email.
"""

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from data_model.access import NotPermitted
from data_model.database import DatabaseUnavailable
from loaders.batches import RECORD_BATCHES, BatchError, map_key, undo_batch
from loaders.errors import FileRefused
from loaders.mappings import save_mapping
from ui import imports
from ui.audited import CSV_MIME, audited_download
from ui.context import page_context
from ui.database import engine_for
from ui.formatting import DAY_FORMAT, as_text, whole

CHECKED_KEY = "data_checked"
"""The check of the current upload: {token, mapping, days_from, framework_code, report}."""
RESULT_KEY = "data_result"
"""The import of the current upload: {token, result}."""
UNDO_KEY = "data_undo_asked"
"""The batch whose undo awaits confirmation."""
MAP_ROUND_KEY = "data_map_round"
"""Bumped after each mapping, so the next key starts with no person or activity chosen."""
MAP_TARGET_LABELS = {
    "person": "Is this person",
    "activity": "Is this catalogue activity",
    "achievement": "Is evidence of this competency",
}
FLASH_KEY = "data_flash"
"""Messages for the next run, after a write reran the page: {section: [(level, text)]}."""
ALERTS = {"success": st.success, "error": st.error, "warning": st.warning, "info": st.info}
ALERT_ICONS = {
    "success": ":material/check_circle:",
    "error": ":material/error:",
    "warning": ":material/warning:",
    "info": ":material/info:",
}
COUNT_LABELS = {
    "loaded": "Loaded",
    "duplicates": "Duplicates",
    "skipped": "Skipped",
    "unmapped": "Waiting to be mapped",
    "rejected": "Rejected",
}

context = page_context()
viewer = context.viewer
if not viewer.sees_everyone:
    raise NotPermitted
engine = engine_for(context.database_url)


def records(count: int) -> str:
    return f"{whole(count)} held record{'' if count == 1 else 's'}"


def flash(section: str, level: str, text: str) -> None:
    st.session_state.setdefault(FLASH_KEY, {}).setdefault(section, []).append((level, text))


def show_flashes(section: str) -> None:
    for level, text in st.session_state.get(FLASH_KEY, {}).pop(section, []):
        ALERTS[level](text, icon=ALERT_ICONS[level])


def after_write() -> None:
    """Every cached read may be stale now; rerun so every table shows the new state."""
    imports.forget_cached_reads()
    st.rerun()


# Upload -----------------------------------------------------------------------------------


def upload_section() -> None:
    kind: imports.ImportKind = st.selectbox(
        "What are you loading?",
        imports.KINDS,
        index=imports.KINDS.index(imports.RECORDS),
        format_func=lambda kind: kind.label,
        key="data_kind",
        width=420,
        help="Load the framework first, then the roster and the catalogue, then learning "
        "records: records are matched to people and activities already in Pathwise.",
    )
    st.caption(kind.description)
    limit = imports.upload_limit_mb()
    upload = st.file_uploader(
        f"{kind.label} file",
        type=list(kind.types),
        key=f"data_upload_{kind.key}",
        help=f"One file of up to {limit} MB (the server's `server.maxUploadSize`). Larger "
        "files load with `python -m loaders` on the server. Nothing is written until you "
        "check the file and apply it.",
    )
    if upload is None:
        st.info(
            f"Choose {kind.noun} above. Pathwise checks it first and shows "
            "what it would load; nothing is written until you apply it.",
            icon=":material/upload_file:",
        )
        return
    data = upload.getvalue()
    try:
        imports.check_upload_size(upload.name, len(data), limit)
    except FileRefused as error:
        st.error(str(error), icon=":material/block:")
        return
    token = f"{kind.key}:{upload.file_id}"
    if kind.is_csv_table:
        if not mapping_form(kind, upload.name, data, token):
            return
    else:
        other_options_form(kind, upload.name, data, token)
    show_flashes("upload")
    checked = st.session_state.get(CHECKED_KEY)
    if checked is None or checked["token"] != token:
        return
    show_check(checked["report"])
    result = st.session_state.get(RESULT_KEY)
    if result is not None and result["token"] == token:
        show_result(result["result"])
    elif checked["report"].refused is None:
        apply_button(kind, upload.name, data, token, checked)


def mapping_form(kind: imports.ImportKind, name: str, data: bytes, token: str) -> bool:
    """Preview and column mapping for a CSV file; False when the file cannot be read."""
    try:
        columns, preview = imports.preview_csv(data, name)
    except FileRefused as error:
        st.error(str(error), icon=":material/block:")
        st.caption(
            "Nothing was written. Save the file as UTF-8 CSV with a header row, then "
            "upload it again."
        )
        return False
    st.dataframe(preview, hide_index=True, width="stretch", height="content")
    shown = min(len(preview), imports.PREVIEW_ROWS)
    st.caption(f"The first {shown} rows of {as_text(name)}, as read.")
    presets = [None, *imports.saved_mapping_names(context.database_url)]
    preset = st.selectbox(
        "Start from a saved mapping",
        presets,
        format_func=lambda name: "None: columns named like the fields" if name is None else name,
        key=f"data_preset_{kind.key}",
        width=420,
        help="Mappings saved from an earlier upload. Fields whose column this file lacks "
        "start blank.",
    )
    saved = imports.saved_mapping(context.database_url, preset) if preset else None
    start = imports.default_choices(kind.fields, columns, saved)
    options: list[str | None] = [None, *dict.fromkeys(column for column in columns if column)]
    start = {field: column if column in options else None for field, column in start.items()}
    with st.form(f"data_mapping_{kind.key}", border=True):
        st.markdown("**Column mapping**")
        st.caption(
            "Which of the file's columns holds each Pathwise field. Fields start from the "
            "column of the same name; required fields are marked."
        )
        choices: dict[str, str | None] = {}
        grid = st.columns(3)
        for position, field in enumerate(kind.fields):
            required = " (required)" if field in kind.required else ""
            with grid[position % 3]:
                choices[field] = st.selectbox(
                    f"`{field}`{required}",
                    options,
                    index=options.index(start[field]),
                    format_func=lambda column: "Leave blank" if column is None else column,
                    key=f"data_map_{token}_{preset}_{field}",
                    help=imports.FIELD_HELP.get(field),
                )
        days_from: date | None = None
        left, right = st.columns(2)
        if kind.key == imports.RECORDS.key:
            with left:
                days_from = st.date_input(
                    "Days from",
                    value=None,
                    format="YYYY-MM-DD",
                    key=f"data_days_from_{token}",
                    help="For exports that give occurred_at as a day number (the Open "
                    "University's OULAD counts days from the module start): the date of day "
                    "0. Leave empty for ordinary dates.",
                )
        with right:
            save_as = st.text_input(
                "Save this mapping as",
                max_chars=128,
                placeholder="For example: Moodle export",
                key=f"data_save_as_{token}",
                help="Optional. A saved mapping can be picked above for the next export "
                "from the same system.",
            )
        submitted = st.form_submit_button(
            "Check the file", type="primary", icon=":material/fact_check:"
        )
    if submitted:
        mapping = imports.mapping_from_choices(choices, columns)
        for clash in imports.mapping_clashes(mapping, columns):
            flash("upload", "warning", clash)
        with st.spinner(f"Checking {name}"):
            report = imports.check_upload(kind.key, data, name, mapping, days_from)
        remember_check(token, report, mapping=mapping, days_from=days_from)
        if save_as.strip():
            save_mapping(engine, save_as.strip(), mapping, viewer.email)
            flash(
                "upload",
                "success",
                f"Saved this mapping as '{save_as.strip()}': pick it under 'Start from a "
                "saved mapping' for the next export from the same system.",
            )
            after_write()
    return True


def other_options_form(kind: imports.ImportKind, name: str, data: bytes, token: str) -> None:
    """The check button for files without a column mapping (and a framework's code)."""
    with st.form(f"data_check_{kind.key}", border=False):
        framework_code = None
        if kind.key == "framework":
            framework_code = st.text_input(
                "Import into framework",
                max_chars=64,
                placeholder="The code the file gives",
                key=f"data_framework_code_{token}",
                help="Optional: a framework code to import into whatever the file calls it. "
                "Several progression Markdown files given one code become job families of "
                "one framework.",
            )
        submitted = st.form_submit_button(
            "Check the file", type="primary", icon=":material/fact_check:"
        )
    if submitted:
        code = (framework_code or "").strip() or None
        with st.spinner(f"Checking {name}"):
            report = imports.check_upload(kind.key, data, name, framework_code=code)
        remember_check(token, report, framework_code=code)


def remember_check(token: str, report: imports.CheckReport, **options: Any) -> None:
    st.session_state[CHECKED_KEY] = {"token": token, "report": report, **options}
    st.session_state.pop(RESULT_KEY, None)


def show_check(report: imports.CheckReport) -> None:
    with st.container(border=True):
        st.markdown(f"**Check of {as_text(report.file_name)}**")
        if report.refused:
            st.error(report.refused, icon=":material/block:")
            st.caption("Nothing would be written. Fix the file or the mapping, then check again.")
            return
        unit = "competencies" if report.kind == "framework" else "rows"
        with st.container(horizontal=True):
            st.metric(f"{unit.capitalize()} read", whole(report.rows), border=True)
            st.metric("Ready to load", whole(report.ready), border=True)
            if report.kind != "framework":
                st.metric("Rejected", whole(report.rejected), border=True)
            if report.kind in ("xapi", "badges"):
                st.metric(
                    "Skipped",
                    whole(report.skipped),
                    border=True,
                    help="Valid, but not evidence (a launched statement, say), or "
                    "voiding an earlier statement.",
                )
        if report.note:
            st.caption(report.note)
        if report.rejected:
            shown = len(report.rejections)
            st.dataframe(
                report.rejections,
                hide_index=True,
                width="stretch",
                height="content" if shown <= 10 else 390,
                placeholder="—",
                column_config={
                    "row": st.column_config.NumberColumn("Row", format="%d", width="small"),
                    "field": st.column_config.TextColumn("Field", width="small"),
                    "reason": st.column_config.TextColumn("Reason", width="large"),
                },
            )
            more = f"; the first {shown:,} are listed" if shown < report.rejected else ""
            st.caption(
                f"{whole(report.rejected)} rows would be rejected{more}. Applying keeps them "
                "with their reason, to download from the batch history, fix and load again."
            )
        elif report.ready == 0 and report.rows == 0:
            st.warning("The file has no rows to load.", icon=":material/warning:")


def apply_button(
    kind: imports.ImportKind, name: str, data: bytes, token: str, checked: dict[str, Any]
) -> None:
    if not st.button(
        f"Apply {as_text(name)}", type="primary", icon=":material/play_arrow:", key="data_apply"
    ):
        st.caption(
            "Applying writes one import batch, which can be undone from the batch "
            "history if it holds learning records."
        )
        return
    try:
        with imports.progress_bar(f"Importing {name}") as progress:
            result = imports.apply_upload(
                engine,
                kind.key,
                data,
                name,
                viewer.email,
                mapping=checked.get("mapping"),
                days_from=checked.get("days_from"),
                framework_code=checked.get("framework_code"),
                progress=progress,
            )
    except (FileRefused, DatabaseUnavailable) as error:
        st.error(f"{error} Nothing was written.", icon=":material/block:")
        return
    st.session_state[RESULT_KEY] = {"token": token, "result": result}
    after_write()


def show_result(result: imports.ImportResult) -> None:
    batch = f" as batch {result.batch}" if result.batch is not None else ""
    st.success(f"Applied {as_text(result.file_name)}{batch}.", icon=":material/check_circle:")
    if result.description:
        st.write(result.description)
    if result.counts:
        with st.container(horizontal=True):
            for name, label in COUNT_LABELS.items():
                st.metric(label, whole(result.counts.get(name, 0)), border=True)
    if result.counts.get("unmapped"):
        st.info(
            f"{whole(result.counts['unmapped'])} records name a person or activity Pathwise "
            "does not know yet. They wait in the unmapped queue: map each key there and "
            "they load.",
            icon=":material/pending:",
        )
    if len(result.errors):
        st.dataframe(
            result.errors,
            hide_index=True,
            width="stretch",
            height="content" if len(result.errors) <= 10 else 390,
            placeholder="—",
            column_config={
                "row": st.column_config.NumberColumn("Row", format="%d", width="small"),
                "field": st.column_config.TextColumn("Field", width="small"),
                "message": st.column_config.TextColumn("Reason", width="large"),
            },
        )
        st.caption(
            "Rejected rows are kept with the batch: download them from the batch "
            "history, fix them and load them again."
        )


# Batch history ----------------------------------------------------------------------------


def describe_batch(batches: pd.DataFrame, batch_id: int) -> str:
    row = batches.set_index("id").loc[batch_id]
    return f"{batch_id} · {imports.batch_kind_label(row['kind'])} · {row['file_name']}"


def history_section() -> None:
    show_flashes("history")
    batches = imports.batch_history(context)
    if batches.empty:
        st.info(
            "No imports yet. Upload a file on the first tab to create the first batch.",
            icon=":material/history:",
        )
        return
    shown = batches.assign(
        kind=batches["kind"].map(imports.batch_kind_label),
        status=batches["status"].str.capitalize(),
    )
    count = {"format": "localized", "width": 78}
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        height="content" if len(shown) <= 12 else 460,
        placeholder="—",
        column_order=[
            "id",
            "kind",
            "status",
            "file_name",
            "started_at",
            "rows_loaded",
            "rows_duplicate",
            "rows_skipped",
            "rows_unmapped",
            "rows_rejected",
            "imported_by",
        ],
        column_config={
            "id": st.column_config.NumberColumn("Batch", format="%d", width=56, pinned=True),
            "kind": st.column_config.TextColumn("Kind", width=150),
            "status": st.column_config.TextColumn("Status", width=72),
            "file_name": st.column_config.TextColumn("File", width="medium"),
            "started_at": st.column_config.DatetimeColumn(
                "Started", format=f"{DAY_FORMAT}, HH:mm", width=140
            ),
            "rows_loaded": st.column_config.NumberColumn("Loaded", **count),
            "rows_duplicate": st.column_config.NumberColumn(
                "Duplicates", help="Records Pathwise already had.", **count
            ),
            "rows_skipped": st.column_config.NumberColumn(
                "Skipped", help="Valid rows that are not evidence.", **count
            ),
            "rows_unmapped": st.column_config.NumberColumn(
                "Unmapped",
                help="Records held for a person or activity Pathwise did not know; mapping "
                "the key loads them.",
                **count,
            ),
            "rows_rejected": st.column_config.NumberColumn(
                "Rejected", help="Rows that could not be read; download them below.", **count
            ),
            "imported_by": st.column_config.TextColumn("Imported by", width="medium"),
        },
    )
    left, right = st.columns(2)
    with left, st.container(border=True):
        undo_card(batches)
    with right, st.container(border=True):
        rejected_card(batches)


def undo_card(batches: pd.DataFrame) -> None:
    st.markdown("**Undo a batch**")
    undoable = batches[batches["kind"].isin(RECORD_BATCHES) & (batches["status"] == "applied")]
    if undoable.empty:
        st.caption(
            "No batch of learning records can be undone. Roster, catalogue and "
            "framework imports update in place: load a corrected file instead."
        )
        return
    choice = st.selectbox(
        "Batch to undo",
        undoable["id"].tolist(),
        format_func=lambda batch_id: describe_batch(batches, batch_id),
        key=f"data_undo_batch_{undoable['id'].max()}",
        help="Only learning-record batches can be undone; roster, catalogue and framework "
        "imports update in place.",
    )
    if st.session_state.get(UNDO_KEY) != choice:
        st.button(
            "Undo this batch",
            icon=":material/undo:",
            key="data_undo",
            on_click=lambda: st.session_state.update({UNDO_KEY: choice}),
        )
        return
    loaded = int(undoable.set_index("id").loc[choice, "rows_loaded"])
    st.warning(
        f"Undo batch {choice}? Its {whole(loaded)} learning records and any records still "
        "waiting to be mapped are removed, and mastery is worked out again without them. "
        "This cannot be reversed.",
        icon=":material/warning:",
    )
    with st.container(horizontal=True):
        confirmed = st.button(
            f"Yes, undo batch {choice}",
            type="primary",
            icon=":material/delete:",
            key="data_undo_confirm",
        )
        st.button(
            "Keep it", key="data_undo_cancel", on_click=lambda: st.session_state.pop(UNDO_KEY, None)
        )
    if confirmed:
        st.session_state.pop(UNDO_KEY, None)
        try:
            summary = undo_batch(engine, choice, viewer.email)
        except (BatchError, DatabaseUnavailable) as error:
            flash("history", "error", str(error))
        else:
            flash(
                "history",
                "success",
                f"Undid batch {summary.batch}: {whole(summary.records_removed)} records "
                f"removed and mastery updated for {whole(summary.pairs_refreshed)} "
                "person-competency pairs.",
            )
        after_write()


def rejected_card(batches: pd.DataFrame) -> None:
    st.markdown("**Rejected rows**")
    with_rejects = batches[batches["rows_rejected"] > 0]
    if with_rejects.empty:
        st.caption("No batch has rejected rows: every row of every file was readable.")
        return
    choice = st.selectbox(
        "Batch",
        with_rejects["id"].tolist(),
        format_func=lambda batch_id: describe_batch(batches, batch_id),
        key=f"data_rejects_batch_{with_rejects['id'].max()}",
    )
    rows = imports.rejected_download(context, choice)
    audited_download(
        f"Download {whole(len(rows))} rejected rows (CSV)",
        imports.rejected_rows_csv(rows),
        f"pathwise-batch-{choice}-rejected.csv",
        what="rejected_rows",
        mime=CSV_MIME,
        key="data_rejects_download",
        details={"batch": int(choice), "rows": len(rows)},
    )
    st.caption(
        "Each row as it came, with its row number, the field at fault and why. Cells "
        "that a spreadsheet would run as a formula start with a quote."
    )


# Unmapped queue ---------------------------------------------------------------------------


def unmapped_section() -> None:
    show_flashes("unmapped")
    queue = imports.unmapped_queue(context)
    if queue.empty:
        st.info(
            "Nothing is waiting to be mapped: every imported record matched a person and "
            "an activity in Pathwise.",
            icon=":material/task_alt:",
        )
        return
    st.caption(
        "Records that name someone or something Pathwise does not know are held here. Map "
        "a key once: its held records load, and later imports recognise it."
    )
    st.dataframe(
        queue.assign(kind=queue["kind"].str.capitalize()),
        hide_index=True,
        width="stretch",
        height="content" if len(queue) <= 12 else 460,
        column_config={
            "kind": st.column_config.TextColumn("Kind", width="small"),
            "key": st.column_config.TextColumn("Key as imported", width="large"),
            "records": st.column_config.NumberColumn("Held records", format="localized"),
            "first_batch": st.column_config.NumberColumn("First batch", format="%d"),
        },
    )
    left, middle, right = st.columns(3)
    with left:
        map_form(queue, "person")
    with middle:
        map_form(queue, "activity")
    with right:
        map_form(queue, "achievement")


def map_form(queue: pd.DataFrame, kind: str) -> None:
    keys = queue[queue["kind"] == kind]
    if keys.empty:
        return
    held = dict(zip(keys["key"], keys["records"], strict=True))
    if kind == "person":
        people = imports.people_choices(context)
        names = {
            row.external_id: f"{row.name} — {row.email}" + ("" if row.active else " (inactive)")
            for row in people.itertuples()
        }
    elif kind == "activity":
        activities = imports.activity_choices(context.database_url)
        names = {
            row.external_id: f"{row.title} ({row.external_id})" for row in activities.itertuples()
        }
    else:
        competencies = imports.competency_choices(context.database_url)
        names = {row.code: f"{row.name} ({row.code})" for row in competencies.itertuples()}
    if not names:
        source = {"person": "roster", "activity": "catalogue"}.get(kind, "framework")
        st.info(
            f"There is nothing to map this {kind} to yet: load the {source} on the first "
            "tab, then come back.",
            icon=":material/lightbulb:",
        )
        return
    round_ = st.session_state.get(MAP_ROUND_KEY, 0)
    with st.form(f"data_map_{kind}", border=True):
        st.markdown(f"**Map an unknown {kind}**")
        key = st.selectbox(
            f"Unknown {kind} key",
            list(held),
            format_func=lambda key: f"{key} ({whole(held[key])} held)",
            key=f"data_map_{kind}_key_{round_}",
        )
        target = st.selectbox(
            MAP_TARGET_LABELS[kind],
            list(names),
            index=None,
            format_func=names.get,
            placeholder="Type a name or email" if kind == "person" else "Type a name or code",
            key=f"data_map_{kind}_target_{round_}",
        )
        submitted = st.form_submit_button(
            "Map and load held records", type="primary", icon=":material/link:"
        )
    if not submitted:
        return
    if target is None:
        st.warning(
            f"Choose what '{as_text(key)}' stands for, then map it again.",
            icon=":material/warning:",
        )
        return
    try:
        applied = map_key(engine, kind, key, target, viewer.email)
    except (BatchError, DatabaseUnavailable) as error:
        flash("unmapped", "error", str(error))
    else:
        st.session_state[MAP_ROUND_KEY] = round_ + 1
        waiting = held[key] - applied
        still = (
            f" {whole(waiting)} still {'waits' if waiting == 1 else 'wait'} for another "
            "unknown key."
            if waiting > 0
            else ""
        )
        flash(
            "unmapped",
            "success",
            f"Mapped '{as_text(key)}' to {as_text(names[target])}: {records(applied)} applied."
            f"{still}",
        )
    after_write()


# Page -------------------------------------------------------------------------------------

st.title("Data")
st.caption(
    "Load frameworks, people, the catalogue and learning records, see every import, undo a "
    f"batch, and map what an import did not recognise. Changes are recorded as `{viewer.email}`."
)
upload_tab, history_tab, unmapped_tab = st.tabs(["Upload", "Batch history", "Unmapped queue"])
with upload_tab:
    upload_section()
with history_tab:
    history_section()
with unmapped_tab:
    unmapped_section()
