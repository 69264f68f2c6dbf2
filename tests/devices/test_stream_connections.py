"""An open live stream holds no PostgreSQL connection: 30 owners' pages open at once, under the test
live server (WSGI threads) and under ``millet.asgi`` on gunicorn (as ``bench/live.py`` serves them),
and the test database sees a handful of connections, not one per stream. Held for a stream's life,
1,000 open pages would be 1,000 connections; PostgreSQL allows 100."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from millet.accounts.actor import SYSTEM
from millet.accounts.services import create_users
from millet.catalog import services as catalog
from millet.core.ports import free_port
from millet.demo.data import DEVICE_MODELS
from millet.devices import services as devices

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

STREAMS = 30
MOST_CONNECTIONS = 5  # this test's own, and a few the server may keep between requests


@pytest.fixture
def owners(require_postgres) -> list[tuple[str, str]]:
    """``(device_id, session cookie)`` of STREAMS owners, each with one reporting plug."""
    urn, title, spec = DEVICE_MODELS["plug"]
    catalog.create_device_model(urn, title, {"services": spec}, actor=SYSTEM)
    devices.forget_specs()
    serials = [f"S-{i}" for i in range(STREAMS)]
    units = devices.provision_batch(model_urn=urn, serials=serials, batch="B", actor=SYSTEM)
    rows = []
    for user, unit in zip(create_users([(f"owner{i}", "Owner") for i in range(STREAMS)]), units, strict=True):
        devices.record_sale(order_number=f"IN-{user.pk}", customer_id=user.pk, serials=[unit.serial])
        devices.set_presence(unit.device_id, True, timezone.now())  # first connection: bound to its buyer
        devices.report_state(unit.device_id, {"on": True}, timezone.now())
        client = Client()
        client.force_login(user)
        rows.append((unit.device_id, client.cookies["sessionid"].value))
    yield rows
    devices.forget_specs()


def database_connections() -> int:
    """Connections to the test database, other than this test's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


async def open_streams(host: str, port: int, owners: list[tuple[str, str]]) -> list[asyncio.StreamWriter]:
    """Each owner's stream, read up to its opening snapshot (the server has done its database work)."""

    async def one(device_id: str, session: str) -> asyncio.StreamWriter:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(
            f"GET /devices/{device_id}/events HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n"
            f"Cookie: sessionid={session}\r\n\r\n".encode()
        )
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), 60)
        assert b" 200 " in status, status
        while b"event: reading" not in await asyncio.wait_for(reader.readline(), 60):
            pass
        return writer

    return await asyncio.gather(*(one(*row) for row in owners))


def connections_with_streams_open(host: str, port: int, owners: list[tuple[str, str]]) -> int:
    async def run() -> int:
        writers = await open_streams(host, port, owners)
        try:
            await asyncio.sleep(0.5)  # a connection a stream held would still be held now
            return await asyncio.to_thread(database_connections)
        finally:
            for writer in writers:
                writer.close()

    return asyncio.run(run())


@pytest.fixture
def asgi_server() -> Iterator[tuple[str, int]]:
    """``millet.asgi`` on one gunicorn worker (``-k asgi``, as bench/live.py runs it), on the test
    database with persistent connections, as production runs."""
    port = free_port()
    url = urlparse(os.environ["DATABASE_URL"])._replace(path="/" + connection.settings_dict["NAME"])
    env = {**os.environ, "DATABASE_URL": url.geturl(), "MILLET_DB_CONN_MAX_AGE": "600"}
    root = Path(__file__).resolve().parents[2]
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "millet.asgi:application", "-k", "asgi", "-w", "1"]
        + ["-b", f"127.0.0.1:{port}", "--log-level", "warning"],
        env=env,
        cwd=root,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the ASGI server did not start"
                time.sleep(0.2)
        yield "127.0.0.1", port
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_open_streams_under_wsgi_hold_no_database_connection(owners, live_server):
    url = urlparse(live_server.url)
    assert connections_with_streams_open(url.hostname, url.port, owners) <= MOST_CONNECTIONS


def test_open_streams_under_asgi_hold_no_database_connection(owners, asgi_server):
    assert connections_with_streams_open(*asgi_server, owners) <= MOST_CONNECTIONS
