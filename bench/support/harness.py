"""What every bench that serves Millet over HTTP shares: the CLI, a private port, a fresh PostgreSQL
database, gunicorn with 2 sync workers (one per core), and wrk as the load generator.

wrk is Debian's package: a C load generator, so the client costs little of the two cores. It is
installed on first use. Benches import this module as ``support.harness`` (``python bench/x.py`` puts
``bench/`` on the path; this folder holds no bench of its own).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")


def millet(*args: str, env: dict) -> str:
    """``millet <args>`` in a child process; its stdout, or exit with its stderr when it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "millet.cli", *args], env=env, cwd=ROOT, text=True, capture_output=True
    )
    if done.returncode:
        sys.exit(f"millet {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def django_script(script: str, env: dict) -> str:
    """Run ``script`` after ``django.setup()`` in a child process; its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + script],
        env=env,
        cwd=ROOT,
        text=True,
        capture_output=True,
    )
    if done.returncode:
        sys.exit(done.stderr[-2000:])
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_env(db_name: str, work: Path) -> dict:
    """The environment of a bench run on its own PostgreSQL database, without Redis."""
    env = {
        **os.environ,
        "DATABASE_URL": PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + db_name,
        "DJANGO_SETTINGS_MODULE": "millet.settings",
        "MILLET_DB_CONN_MAX_AGE": "600",  # persistent connections, as production runs
        "MILLET_DATA_DIR": str(work),
    }
    env.pop("REDIS_URL", None)
    return env


def fresh_postgres(db_name: str, env: dict) -> None:
    """Drop and recreate ``db_name``, migrate it and collect static files (the server then serves
    them without warnings)."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {db_name}")
    millet("migrate", "-v0", env=env)
    millet("collectstatic", "--noinput", "-v0", env=env)


# How a bench serves Millet and its peers: ``sync`` (one request at a time per worker, the figures the
# goals were set on), or as ``millet start`` serves Millet (threaded workers, 16 threads each:
# millet/demo/management/commands/start.py). Every server of one run is started the same way.
WORKER_CLASSES = {
    "gthread": ("--worker-class", "gthread", "--threads", "16"),
    "sync": ("--worker-class", "sync"),
}


def add_server_options(parser: argparse.ArgumentParser) -> None:
    """``--worker-class`` and ``--workers``: how every gunicorn of the bench serves (``serve``)."""
    parser.add_argument("--worker-class", choices=sorted(WORKER_CLASSES), default="sync")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2: one per core here)")


@contextlib.contextmanager
def serve(
    port: int,
    env: dict,
    workers: int = 2,
    *,
    worker_class: str = "sync",
    app: str = "millet.wsgi:application",
    cwd: Path = ROOT,
    python: str = sys.executable,
    health: str = "/api/health",
) -> Iterator[subprocess.Popen]:
    """Millet (or a peer's ``app``, from the virtualenv of ``python``) on gunicorn with ``workers``
    workers of ``worker_class`` (``WORKER_CLASSES``), until the block ends."""
    gunicorn = shutil.which("gunicorn", path=os.path.dirname(python)) or "gunicorn"
    options = ["--workers", str(workers), *WORKER_CLASSES[worker_class], "--log-level", "warning"]
    server = subprocess.Popen([gunicorn, app, "-b", f"127.0.0.1:{port}", *options], env=env, cwd=cwd)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{health}", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    try:
        yield server
    finally:
        server.terminate()
        server.wait(timeout=20)


def wrk_binary() -> str:
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, capture_output=True)
    return shutil.which("wrk") or sys.exit("wrk is not installed")


def wrk(
    url: str,
    *,
    seconds: int,
    connections: int,
    threads: int = 1,
    script: str | None = None,
    files=(),
    headers: dict[str, str] | None = None,
    prefix: tuple[str, ...] = (),
) -> dict:
    """One wrk run: requests, req/s, p50/p99 latency in ms, non-2xx/3xx count and socket errors.

    ``prefix`` runs wrk under another command (``ip netns exec NS``: from another network namespace).
    """
    cmd = [*prefix, wrk_binary(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    cmd += ["-s", script, url, "--", *map(str, files)] if script else [url]
    out = subprocess.run(cmd, check=True, text=True, capture_output=True).stdout
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}

    def percentile(p: str) -> float | None:
        found = re.search(rf"{p}%\s+([\d.]+)(us|ms|s)", out)
        return round(float(found.group(1)) * scale[found.group(2)], 2) if found else None

    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": percentile("50"),
        "p99_ms": percentile("99"),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def timed_gets(port: int, path: str, cookie: str, count: int, timeout: float = 10) -> list[float]:
    """``count`` GETs one after another; each one's time in ms (fails on anything but 200, and after
    ``timeout`` seconds without an answer)."""
    times = []
    for _ in range(count):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        started = time.perf_counter()
        conn.request("GET", path, headers={"Cookie": cookie, "Accept-Language": "en"})
        response = conn.getresponse()
        response.read()
        times.append((time.perf_counter() - started) * 1000)
        conn.close()
        if response.status != 200:
            raise SystemExit(f"GET {path} answered {response.status}")
    return times


def percentile(values: list[float], q: float) -> float:
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1], 2)
