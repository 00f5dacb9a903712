"""Tracker's benchmarks, outside the app: the synthetic coalition (`bench.seed`), the page
and import timings (`bench/run.py`) and the proposal rendering (`bench/proposal.py`)."""
