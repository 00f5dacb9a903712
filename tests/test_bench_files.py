"""bench/files.py refuses a missing source database with a clear message, and leaves no
empty file behind where it looked (issue 15)."""

from __future__ import annotations

import pytest

from bench import files


def test_a_missing_sqlite_source_is_named_and_not_created(tmp_path, monkeypatch):
    missing = tmp_path / "bench_10000.sqlite"
    monkeypatch.setattr(files, "sqlite_url", lambda _size: f"sqlite:///{missing}")

    with pytest.raises(SystemExit) as refused:
        files.measure("sqlite", 10, "unused")

    assert "bench_10000.sqlite is missing" in str(refused.value)
    assert "bench/run.py --sizes 10000" in str(refused.value)
    assert not missing.exists()
