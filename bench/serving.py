"""What the benches that start their own server share: a free port, waiting for it to listen,
and loading it with wrk (Debian's package)."""

import json
import os
from pathlib import Path
import shutil
import socket
import subprocess
import time

# wrk's report as one JSON line: the figures are taken from it, not scraped from the text.
WRK_DONE = """
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "seconds": %f, "p50_us": %d, "p99_us": %d, "max_us": %d, '
    .. '"non2xx": %d, "socket_errors": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99), latency.max,
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited; see its output above")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start within 30 s")


def find_wrk() -> str:
    """wrk's path; installed from Debian's package when missing and we are root."""
    if path := shutil.which("wrk"):
        return path
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: apt-get install -y wrk", flush=True)
        if subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False).returncode:
            subprocess.run(["apt-get", "update", "-q"], check=True)
            subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True)
        if path := shutil.which("wrk"):
            return path
    raise SystemExit("this bench needs wrk (Debian: apt-get install wrk)")


def wrk_script(folder: Path, name: str, method: str = "GET", headers: dict[str, str] | None = None,
               body: str | None = None) -> Path:  # fmt: skip
    """A wrk Lua script sending one request (method, headers, body) that prints WRK_JSON at the end."""
    lines = [f'wrk.method = "{method}"']
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in (headers or {}).items()]
    if body is not None:
        lines.append(f"wrk.body = {json.dumps(body)}")  # a JSON string is a valid Lua string here
    path = folder / f"{name}.lua"
    path.write_text("\n".join(lines) + WRK_DONE)
    return path


def run_wrk(binary: str, url: str, script: Path, connections: int, seconds: float) -> dict:
    """One wrk run (2 threads, keep-alive): requests, seconds, rate, p50/p99/max in µs, errors."""
    command = [binary, "-t", "2", "-c", str(connections), "-d", f"{seconds:g}s", "--timeout", "10s", "-s", str(script)]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRK_JSON "))
    figures = json.loads(line.removeprefix("WRK_JSON "))
    figures["rate"] = figures["requests"] / figures["seconds"]
    return figures


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def wrk_table(results: dict[str, dict], baseline: str, verdict_of, *, queue_connections: int | None = None,
              status_label: str = "non-2xx", ratio_digits: int = 2,
              baseline_rates: dict[str, float] | None = None) -> list[str]:  # fmt: skip
    """The header and a row per target of `run_wrk` figures, each target's rate as a ratio of
    `baseline`'s (or of its own in `baseline_rates`: the baseline measured right before it);
    `verdict_of(name, ratio, p99_ms)` judges the others. With `queue_connections`, a column of the
    mean latency that rate implies with every connection waiting (Little's law)."""
    queue = f" {'queue ms':>8}" if queue_connections else ""
    lines = [
        f"{'target':<9} {'requests':>8} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}{queue}"
        f" {status_label:>7} {'ratio':>6}  verdict"
    ]
    for name, r in results.items():
        ratio = r["rate"] / (baseline_rates or {}).get(name, results[baseline]["rate"])
        p99 = r["p99_us"] / 1000
        verdict = "baseline" if name == baseline else verdict_of(name, ratio, p99)
        if r["non2xx"] or r["socket_errors"]:
            verdict += f"; FAILED RESPONSES ({r['socket_errors']} socket errors)"
        waiting = f" {queue_connections / r['rate'] * 1000:>8.1f}" if queue_connections else ""
        lines.append(
            f"{name:<9} {r['requests']:>8} {r['rate']:>8.1f} {r['p50_us'] / 1000:>7.1f} {p99:>7.1f}"
            f" {r['max_us'] / 1000:>7.1f}{waiting} {r['non2xx']:>7} {ratio:>6.{ratio_digits}f}  {verdict}"
        )
    return lines
