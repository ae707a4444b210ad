"""Benchmarks: each prints a table of figures measured in one run (see docs/PERFORMANCE.md)."""
