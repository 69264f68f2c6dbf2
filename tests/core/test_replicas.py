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
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import RequestFactory

from millet.core import replicas

ROOT = Path(__file__).resolve().parents[2]


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        message = f"PostgreSQL's {name} is missing (scripts/services.sh installs postgresql)"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    return found[-1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_postgres(*command: str) -> None:
    """PostgreSQL refuses to run as root: the private servers run as the postgres account."""
    user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*user, *command], check=True, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def primary_and_replica() -> Iterator[tuple[str, str]]:
    pg_ctl, initdb, basebackup = _pg_bin("pg_ctl"), _pg_bin("initdb"), _pg_bin("pg_basebackup")
    home = Path(tempfile.mkdtemp(prefix="millet-replica-"))
    if os.geteuid() == 0:
        shutil.chown(home, "postgres")
    primary, replica = home / "primary", home / "replica"
    ports = _free_port(), _free_port()
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
        yield tuple(f"postgres://postgres@127.0.0.1:{port}/millet" for port in ports)
    finally:
        for data in reversed(started):
            _as_postgres(pg_ctl, "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.postgres
def test_read_only_work_reads_the_replica_and_own_writes_stay_on_the_primary(primary_and_replica, tmp_path):
    primary_url, replica_url = primary_and_replica
    env = {
        key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")
    } | {
        "DATABASE_URL": primary_url,
        "DATABASE_REPLICA_URLS": replica_url,
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


def test_without_replicas_every_read_is_the_primarys():
    with replicas.replica_reads_block():
        assert replicas.read_alias("catalog") == "default"


@pytest.fixture
def one_replica(monkeypatch):
    """A configured replica, as far as routing goes (these tests never connect to it)."""
    monkeypatch.setattr(replicas, "replica_aliases", lambda: ["replica1"])


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
