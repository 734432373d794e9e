"""The benchmark command itself works end to end on both backends (its figures are not
judged here: timing belongs to the benchmark, not to tests)."""

import json
import subprocess
import sys
from pathlib import Path

ISSUE_KEYS = {
    "backend", "generate_s", "import_csv_s", "import_rows_per_s",
    "import_baseline_executemany_s", "rollup_full_s", "rollup_baseline_read_sql_s",
    "rollup_incremental_1k_s", "person_mastery_s", "team10_s", "org_rollup_s", "page_learner_s",
    "page_team_s", "page_org_s", "concurrent_sessions", "concurrent_p95_s", "peak_rss_mb",
}  # fmt: skip
"""Every figure issue 8 asks of `python -m benchmarks`."""
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def test_quick_benchmark_runs_and_writes_every_figure(database_url: str, tmp_path: Path) -> None:
    figures_file = tmp_path / "figures.json"
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--db", database_url,
         "--json", str(figures_file)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=1800, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    figures = json.loads(figures_file.read_text())
    assert set(figures) >= ISSUE_KEYS
    assert figures["backend"] == database_url.split(":")[0].split("+")[0]
    assert figures["concurrent_sessions"] == 20
    assert all(figures[key] > 0 for key in ISSUE_KEYS - {"backend"})
    for key in ISSUE_KEYS:
        assert key in result.stdout
    assert 0 < figures["import_insert_s"] < figures["import_csv_s"]
