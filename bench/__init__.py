"""Benchmarks of the ITSM portal: `make bench` (or `python -m bench.run`); the rules are in BENCH.md."""
