"""bench/api.py judges what its report says it judges: GET accounts' ratio and p99, readings'
p99; `uncached` (a miss on every request) is shown, not judged."""

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"


def test_uncached_is_shown_not_judged(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))  # it imports its neighbour `serving`
    spec = importlib.util.spec_from_file_location("bench_api", BENCH / "api.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.verdict_of("uncached", 0.01, 900.0) == "shown, not judged"
    assert "BELOW" in bench.verdict_of("accounts", 0.01, 10.0)
    assert "ratio" not in bench.verdict_of("readings", 0.01, 10.0)
    assert "NOT <" in bench.verdict_of("readings", 0.5, 900.0)
