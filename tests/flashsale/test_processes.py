"""A flash sale across real processes, with SIGKILLs: nothing oversold, no accepted claim lost.

Two gunicorn workers serve the gate, a ``flashsale_worker`` writes the orders, and a private Redis
(AOF, ``appendfsync always``) holds the gate, all against the PostgreSQL test database. Mid-sale an
app worker, the order writer and Redis itself are killed with SIGKILL (gunicorn respawns its worker;
the test restarts the writer and Redis). Buyers retry what failed, payers pay, the others let the
payment window lapse so their units go back and are won again.

Exact outcome: units sold = min(units offered, valid buyers' demand); every accepted claim is either
paid and fulfilled, or expired with its order cancelled and its unit returned.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import redis
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from millet.accounts.actor import SYSTEM, actor_for_user
from millet.accounts.models import ApiToken
from millet.accounts.services import issue_token, revoke_tokens
from millet.core.ports import free_port
from millet.flashsale import services
from millet.flashsale.models import Claim
from millet.flashsale.services import gate
from millet.inventory.models import Reservation, Stock
from millet.sales import services as sales
from millet.sales.models import Order

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
UNITS, LIMIT, PAYERS, IDLERS = 20, 2, 8, 6
DEMAND = PAYERS * LIMIT  # only buyers who pay are valid demand
WINDOW = 2  # seconds to pay


class PrivateRedis:
    """A redis-server of our own, so killing it harms nobody; AOF fsyncs every write."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="millet-fs-redis-")
        self.proc: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                self.dir,
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("private redis did not start")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)


LOG = Path(tempfile.gettempdir()) / "millet-flashsale-processes.log"


def start(cmd: list[str], env: dict) -> subprocess.Popen:
    """Output goes to one log file, read when the test fails."""
    with LOG.open("a") as log:
        return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


class Buyer:
    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        """One request; connection failures (a killed worker) come back as status 0."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(
                method,
                f"/api/flashsale{path}",
                body=json.dumps(body or {}),
                headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
            )
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, json.loads(data) if data.startswith(b"{") or data.startswith(b"[") else {}
        except (OSError, http.client.HTTPException):
            return 0, {}
        finally:
            conn.close()


def wait_for(predicate, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_sale_survives_killed_workers_and_redis_restart(world, require_postgres, settings):
    with private_redis(settings) as (private, procs):
        _run_sale(world, private, procs)


def process_env(private: PrivateRedis) -> dict:
    """The environment of the processes under test: the test database, the private Redis."""
    db = connection.settings_dict
    host = db["HOST"] or "127.0.0.1"
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{host}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": private.url,
        "DJANGO_SETTINGS_MODULE": "millet.settings",
        "MILLET_DATA_DIR": tempfile.mkdtemp(prefix="millet-fs-"),
    }


def serve(env: dict, procs: list[subprocess.Popen]) -> int:
    """gunicorn with two sync workers (two processes answering the same socket); its port."""
    port = free_port()
    gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or "gunicorn"
    options = ["--workers", "2", "--log-level", "warning", "--graceful-timeout", "2"]
    procs.append(start([gunicorn, "millet.wsgi:application", "--bind", f"127.0.0.1:{port}", *options], env))
    return port


@contextlib.contextmanager
def private_redis(settings):
    """A private Redis as the test's ``REDIS_URL``; the processes started in the block are ended."""
    private = PrivateRedis()
    private.start()
    settings.REDIS_URL = private.url
    gate.reset_client()
    procs: list[subprocess.Popen] = []
    try:
        yield private, procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if private.proc and private.proc.poll() is None:
            private.kill()
        shutil.rmtree(private.dir, ignore_errors=True)
        gate.reset_client()


def test_a_revoked_token_fails_on_the_next_claim_in_every_server_process(world, require_postgres, settings):
    """The gate answers a warm token from Redis alone (one script, no database), in whichever
    worker takes the request; once the token is revoked, no worker accepts it again."""
    with private_redis(settings) as (private, procs):
        now = timezone.now()
        campaign = services.create_campaign(
            SYSTEM,
            code="revoked-sale",
            name="Singles Day cable",
            sku_code="CABLE-C",
            market="CN",
            location_code="WH-CN-SH",
            price=Decimal("9.90"),
            units=40,
            starts_at=now - timedelta(seconds=1),
            ends_at=now + timedelta(hours=1),
            per_customer_limit=40,
            payment_window_seconds=900,
            customer_rate_per_second=0,
            ip_rate_per_second=0,
        )
        user = get_user_model().objects.create_user("fs-revoked")
        buyer = Buyer(serve(process_env(private), procs), issue_token(user))
        wait_for(lambda: buyer.call("GET", "/campaigns")[0] == 200, 90, "gunicorn")  # boot under load
        path = f"/campaigns/{campaign.code}/claims"
        before = [buyer.call("POST", path)[0] for _ in range(12)]  # each on a new connection
        assert before == [201] * 12
        revoke_tokens(list(ApiToken.objects.filter(user=user).values_list("pk", flat=True)))
        after = [buyer.call("POST", path) for _ in range(12)]
        assert [status for status, _ in after] == [401] * 12, after
        assert gate.pool(campaign.code) == 40 - 12


def _run_sale(world, private: PrivateRedis, procs: list[subprocess.Popen]) -> None:
    now = timezone.now()
    campaign = services.create_campaign(
        SYSTEM,
        code="singles-day",
        name="Singles Day cable",
        sku_code="CABLE-C",
        market="CN",
        location_code="WH-CN-SH",
        price=Decimal("9.90"),
        units=UNITS,
        starts_at=now - timedelta(seconds=1),
        ends_at=now + timedelta(hours=1),
        per_customer_limit=LIMIT,
        payment_window_seconds=WINDOW,
        customer_rate_per_second=0,
        ip_rate_per_second=0,
    )
    User = get_user_model()
    people = [User.objects.create_user(f"fs-buyer{i}") for i in range(PAYERS + IDLERS)]
    tokens = {u.pk: issue_token(u) for u in people}
    payers, idlers = people[:PAYERS], people[PAYERS:]

    env = process_env(private)
    port = serve(env, procs)
    writer_cmd = [sys.executable, "-m", "millet.cli", "flashsale_worker", "--block-ms", "200",
                  "--reclaim-idle-ms", "1000", "--expire-every", "0.2"]  # fmt: skip
    procs.append(start(writer_cmd, env))
    probe = Buyer(port, tokens[payers[0].pk])
    wait_for(lambda: probe.call("GET", "/campaigns")[0] == 200, 90, "gunicorn")  # boot under load

    accepted: list[tuple[int, str]] = []  # (customer, claim id) for every 201 a buyer saw
    lock = threading.Lock()

    def rush(customer_id: int) -> None:
        """One of a buyer's parallel tabs: keep asking until the gate says limit or sold out."""
        buyer = Buyer(port, tokens[customer_id])
        for _ in range(400):
            status, body = buyer.call("POST", "/campaigns/singles-day/claims")
            if status == 201:
                with lock:
                    accepted.append((customer_id, body["id"]))
            elif status == 409:
                return
            time.sleep(0.05)  # then again; 0 (a killed worker) and 503 (Redis restarting) are retried too

    tabs = [threading.Thread(target=rush, args=(u.pk,)) for u in people for _ in range(3)]
    for t in tabs:
        t.start()
    wait_for(lambda: len(accepted) >= UNITS // 4, what="the sale to be under way")
    os.kill(children(procs[0].pid)[0], signal.SIGKILL)  # an app worker dies mid-sale
    procs[1].send_signal(signal.SIGKILL)  # and the order writer, with claims pending
    private.kill()  # and Redis
    time.sleep(0.3)
    private.start()  # AOF brings back every acknowledged claim
    procs.append(start(writer_cmd, env))
    for t in tabs:
        t.join()

    stream = redis.Redis.from_url(private.url)
    key = gate.keys("singles-day")["stream"]
    wait_for(
        lambda: Claim.objects.filter(campaign=campaign).count() == stream.xlen(key), what="orders written"
    )
    seen = set(Claim.objects.filter(campaign=campaign).values_list("customer_id", "gate_id"))
    assert set(accepted) <= seen  # every claim a buyer was told about has its order
    assert Claim.objects.filter(campaign=campaign).count() == UNITS  # sold out, exactly

    def pay_all(user) -> int:
        """The buyer pays every claim still awaiting payment; returns how many are paid."""
        buyer = Buyer(port, tokens[user.pk])
        status, claims = buyer.call("GET", "/campaigns/singles-day/claims")
        if status != 200:
            return 0
        for c in claims:
            if c["status"] == "ordered":
                buyer.call(
                    "POST", f"/campaigns/singles-day/claims/{c['id']}/pay", {"payment_token": "tok_ok"}
                )
        return Claim.objects.filter(campaign=campaign, customer=user, status="paid").count()

    def payer(user) -> None:
        """Pays what it won; when a claim lapsed first, tries again until it holds its limit."""
        buyer = Buyer(port, tokens[user.pk])
        deadline = time.monotonic() + 30
        while pay_all(user) < LIMIT and time.monotonic() < deadline:
            status, body = buyer.call("POST", "/campaigns/singles-day/claims")
            if status == 201:
                wait_for(
                    lambda gate_id=body["id"]: Claim.objects.filter(
                        campaign=campaign, gate_id=gate_id
                    ).exists(),
                    what="claim written",
                )
            else:
                time.sleep(0.2)  # sold out for now: idlers' units come back when their window lapses

    def payer_thread(user) -> None:
        try:
            payer(user)
        finally:
            connection.close()  # each thread has its own connection; the test database must drop

    threads = [threading.Thread(target=payer_thread, args=(u,)) for u in payers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wait_for(
        lambda: not Claim.objects.filter(campaign=campaign, status__in=("queued", "ordered")).exists(),
        what="every claim settled",
    )

    staff = actor_for_user(world.users["staff"])
    claims = list(Claim.objects.filter(campaign=campaign))
    for c in claims:
        if c.status == "paid":
            sales.fulfil_order(staff, c.order_number)
    orders = dict(
        Order.objects.filter(number__in=[c.order_number for c in claims]).values_list("number", "status")
    )

    paid = [c for c in claims if c.status == "paid"]
    assert len(paid) == min(UNITS, DEMAND)
    assert {u.pk: sum(c.customer_id == u.pk for c in paid) for u in payers} == {u.pk: LIMIT for u in payers}
    assert not [c for c in paid if c.customer_id in {u.pk for u in idlers}]
    for c in claims:
        assert (c.status, orders[c.order_number]) in (("paid", "fulfilled"), ("expired", "cancelled")), c
    assert len(claims) == stream.xlen(key)  # nothing accepted was lost, nothing written twice
    left = UNITS - len(paid)
    row = Stock.objects.get(sku=world.skus["CABLE-C"], location_id=world.locations["WH-CN-SH"])
    assert (row.quantity, row.reserved) == (100 - len(paid), left)
    held = Reservation.objects.filter(reference=campaign.hold_reference, status="active")
    assert sum(r.quantity for r in held) == left == gate.pool("singles-day")
    results = services.campaign_results(SYSTEM, "singles-day")
    assert (results.sold, results.available, results.expired) == (len(paid), left, len(claims) - len(paid))
