"""Read replicas (issue 15): read-only work reads a real PostgreSQL streaming replica, and a read
that must see its own write stays on the primary.

The test starts its own private primary and a replica made with ``pg_basebackup -R`` on private
ports (never the machine's PostgreSQL), migrates the primary, and runs ``replica_probe.py`` in a
child process configured with ``DATABASE_URL`` and ``DATABASE_REPLICA_URLS`` as production would be.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import OperationalError
from django.test import RequestFactory

from millet.core import replicas
from millet.core.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        message = f"PostgreSQL's {name} is missing (scripts/services.sh installs postgresql)"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    return found[-1]


def _as_postgres(*command: str) -> None:
    """PostgreSQL refuses to run as root: the private servers run as the postgres account."""
    user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*user, *command], check=True, capture_output=True, timeout=120)


@dataclass(frozen=True)
class Servers:
    primary_url: str
    replica_url: str
    stop_replica: list[str]  # commands the probe runs to kill the replica and bring it back
    start_replica: list[str]


@pytest.fixture(scope="module")
def primary_and_replica() -> Iterator[Servers]:
    pg_ctl, initdb, basebackup = _pg_bin("pg_ctl"), _pg_bin("initdb"), _pg_bin("pg_basebackup")
    home = Path(tempfile.mkdtemp(prefix="millet-replica-"))
    if os.geteuid() == 0:
        shutil.chown(home, "postgres")
    primary, replica = home / "primary", home / "replica"
    ports = free_port(), free_port()
    options = "-c listen_addresses=127.0.0.1 -c unix_socket_directories={home} -c port={port} -c fsync=off"
    started: list[Path] = []
    try:
        _as_postgres(initdb, "-D", str(primary), "--auth=trust", "-U", "postgres")
        _as_postgres(pg_ctl, "-D", str(primary), "-w", "-l", str(home / "primary.log"),
                     "-o", options.format(home=home, port=ports[0]), "start")  # fmt: skip
        started.append(primary)
        _as_postgres(basebackup, "-h", "127.0.0.1", "-p", str(ports[0]), "-U", "postgres",
                     "-D", str(replica), "-R", "-X", "stream")  # fmt: skip
        _as_postgres(pg_ctl, "-D", str(replica), "-w", "-l", str(home / "replica.log"),
                     "-o", options.format(home=home, port=ports[1]), "start")  # fmt: skip
        started.append(replica)
        _as_postgres(_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(ports[0]), "-U", "postgres", "millet")
        user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        yield Servers(
            *(f"postgres://postgres@127.0.0.1:{port}/millet" for port in ports),
            stop_replica=[*user, pg_ctl, "-D", str(replica), "-m", "immediate", "-w", "stop"],
            start_replica=[*user, pg_ctl, "-D", str(replica), "-w", "-l", str(home / "replica.log"),
                           "-o", options.format(home=home, port=ports[1]), "start"],
        )  # fmt: skip
    finally:
        for data in reversed(started):
            subprocess.run(  # the probe may have left the replica stopped: stop what still runs
                [*(["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []), pg_ctl, "-D", str(data),
                 "-m", "immediate", "stop"], capture_output=True, timeout=120,
            )  # fmt: skip
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.postgres
def test_read_only_work_reads_the_replica_and_own_writes_stay_on_the_primary(primary_and_replica, tmp_path):
    servers = primary_and_replica
    env = {
        key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")
    } | {
        "DATABASE_URL": servers.primary_url,
        "DATABASE_REPLICA_URLS": servers.replica_url,
        "PROBE_STOP_REPLICA": json.dumps(servers.stop_replica),
        "PROBE_START_REPLICA": json.dumps(servers.start_replica),
        "MILLET_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "millet.settings",
        "PYTHONPATH": str(ROOT),
    }
    subprocess.run([sys.executable, "-m", "millet.cli", "migrate", "-v0"], env=env, check=True, timeout=600)
    probe = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("replica_probe.py"))],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert probe.returncode == 0, probe.stderr[-3000:]
    seen = json.loads(probe.stdout.strip().splitlines()[-1])
    assert seen["replica_in_recovery"] is True
    assert seen["replica_refuses_writes"] is True
    assert seen["page_status"] == 200
    assert seen["page_queries_on_replica"] > 0
    assert seen["page_catalog_queries_on_primary"] == 0
    assert seen["fresh_read_before_write_sees_old"] is True
    assert seen["read_after_own_write_sees_it"] is True
    assert seen["other_work_reads_replica"] is True
    assert seen["read_in_transaction_sees_it"] is True
    # The replica killed under an open connection: the page is served from the primary, and the
    # replica is left out until it answers again, then read once more.
    assert seen["page_status_replica_killed"] == 200
    assert seen["page_queries_on_primary_replica_killed"] > 0
    assert seen["reads_primary_while_replica_down"] is True
    assert seen["reads_replica_when_back"] is True


def test_without_replicas_every_read_is_the_primarys():
    with replicas.replica_reads_block():
        assert replicas.read_alias("catalog") == "default"


@pytest.fixture
def one_replica(monkeypatch):
    """A configured replica that answers, as far as routing goes (these tests never connect to it)."""
    monkeypatch.setattr(replicas, "replica_aliases", lambda: ["replica1"])
    monkeypatch.setattr(replicas, "_reachable", lambda alias: True)


def test_a_replica_that_fails_is_left_out_and_the_read_runs_again_on_the_primary(monkeypatch):
    monkeypatch.setattr(replicas, "replica_aliases", lambda: ["replica1"])
    monkeypatch.setattr(replicas, "_down_until", {})
    monkeypatch.setattr(replicas, "connections", {"default": _Closable(), "replica1": _Closable()})
    clock = [1000.0]
    monkeypatch.setattr(replicas.time, "monotonic", lambda: clock[0])
    reads = []

    @replicas.replica_reads
    def page():
        alias = replicas.read_alias("catalog")
        reads.append(alias)
        if alias == "replica1":
            raise OperationalError("server closed the connection unexpectedly")
        return "served"

    assert page() == "served" and reads == ["replica1", "default"]
    with replicas.replica_reads_block():
        assert replicas.read_alias("catalog") == "default"  # left out for a while
    clock[0] += replicas.REPLICA_RETRY_SECONDS + 0.1
    with replicas.replica_reads_block():
        assert replicas.read_alias("catalog") == "replica1"  # tried again


def test_work_that_wrote_is_never_run_twice(monkeypatch):
    monkeypatch.setattr(replicas, "replica_aliases", lambda: ["replica1"])
    monkeypatch.setattr(replicas, "_reachable", lambda alias: True)
    calls = []

    @replicas.replica_reads
    def writes_then_fails():
        replicas.read_alias("catalog")
        replicas.PrimaryReplicaRouter().db_for_write(object)
        calls.append(1)
        raise OperationalError("lost")

    with pytest.raises(OperationalError):
        writes_then_fails()
    assert calls == [1]


class _Closable:
    """Stands in for a connection object where routing only closes and (re)connects it."""

    in_atomic_block = False

    def close(self) -> None:
        pass

    def ensure_connection(self) -> None:
        pass


def test_reads_go_to_a_replica_only_inside_read_only_work(one_replica):
    assert replicas.read_alias("catalog") == "default"
    with replicas.replica_reads_block():
        assert replicas.read_alias("catalog") == "replica1"
        assert replicas.read_alias("sessions") == "default"  # a sign-in holds at once
        replicas.PrimaryReplicaRouter().db_for_write(object)
        assert replicas.read_alias("catalog") == "default"  # this work wrote: it sees its write


def test_what_every_process_keeps_is_read_from_the_primary(one_replica):
    with replicas.replica_reads_block():
        with replicas.primary_reads_block():
            assert replicas.read_alias("catalog") == "default"
            replicas.PrimaryReplicaRouter().db_for_write(object)
        assert replicas.read_alias("catalog") == "default"  # a write inside still pins the work
    with replicas.replica_reads_block():
        with replicas.primary_reads_block():
            pass
        assert replicas.read_alias("catalog") == "replica1"


def test_a_request_that_wrote_pins_the_browser_to_the_primary(one_replica, settings):
    factory, router, seen = RequestFactory(), replicas.PrimaryReplicaRouter(), []

    def writes(request):
        router.db_for_write(object)
        return _ok()

    def reads(request):
        with replicas.replica_reads_block():
            seen.append(replicas.read_alias("catalog"))
        return _ok()

    wrote = replicas.PrimaryPinMiddleware(writes)(factory.get("/"))
    pin = wrote.cookies[replicas.PIN_COOKIE]
    assert pin["httponly"] and int(pin["max-age"]) == settings.MILLET_REPLICA_PIN_SECONDS

    replicas.PrimaryPinMiddleware(reads)(factory.get("/", HTTP_COOKIE=f"{replicas.PIN_COOKIE}={pin.value}"))
    replicas.PrimaryPinMiddleware(reads)(factory.get("/"))
    replicas.PrimaryPinMiddleware(reads)(factory.get("/", HTTP_COOKIE=f"{replicas.PIN_COOKIE}=garbage"))
    assert seen == ["default", "replica1", "replica1"]
    assert replicas.PIN_COOKIE not in replicas.PrimaryPinMiddleware(reads)(factory.get("/")).cookies


def _ok():
    from django.http import HttpResponse

    return HttpResponse("ok")
