"""Benchmarks: `python -m benchmarks` builds (or reuses) a dataset, measures, and prints."""
