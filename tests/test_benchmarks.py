"""The benchmark command itself works end to end (its figures are not judged here)."""

import json
import subprocess
import sys

EXPECTED_KEYS = {
    "backend", "generate_s", "rollup_full_s", "rollup_baseline_read_sql_s",
    "rollup_incremental_1k_s", "person_mastery_s", "team10_s", "peak_rss_mb",
}  # fmt: skip


def test_quick_benchmark_runs_and_writes_its_figures(tmp_path) -> None:
    figures_file = tmp_path / "figures.json"
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--db",
         f"sqlite:///{tmp_path / 'bench.db'}", "--json", str(figures_file)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    figures = json.loads(figures_file.read_text())
    assert set(figures) >= EXPECTED_KEYS
    assert figures["backend"] == "sqlite"
    assert all(figures[key] > 0 for key in EXPECTED_KEYS - {"backend"})
    assert "rollup_full_s" in result.stdout
