"""``millet singles_day``: a simulated Singles Day against a running server.

N buyers (created here, with API tokens) each ask the gate for units through HTTP from parallel
threads, then pay a share of what they won, as real customers would. Progress shows as a rich bar;
the campaign's results come at the end. Needs the server (``millet start`` or gunicorn) and, with
Redis, a ``flashsale_worker`` to write the orders.

    millet singles_day --create --units 500 --buyers 2000
    millet singles_day --campaign my-sale --buyers 5000 --pay-ratio 0.7
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from millet.accounts.actor import SYSTEM
from millet.accounts.services import customer_named, issue_token
from millet.core.errors import DomainError
from millet.flashsale import services


class Command(BaseCommand):
    help = "Simulate a Singles Day flash sale: N buyers hit the gate of a running server and pay."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the running server")
        parser.add_argument("--campaign", default="singles-day", help="campaign code")
        parser.add_argument("--create", action="store_true", help="create the campaign first (needs --sku)")
        parser.add_argument("--sku", default="MI6-64-BLK")
        parser.add_argument("--market", default="CN")
        parser.add_argument("--location", default="WH-CN-BJ", help="warehouse the units are set aside from")
        parser.add_argument("--units", type=int, default=100)
        parser.add_argument("--price", default="999.00")
        parser.add_argument("--limit", type=int, default=1, help="units per customer")
        parser.add_argument("--buyers", type=int, default=500)
        parser.add_argument("--attempts", type=int, default=3, help="requests per buyer")
        parser.add_argument("--threads", type=int, default=16)
        parser.add_argument("--pay-ratio", type=float, default=0.8, help="share of winners who pay")
        parser.add_argument("--seed", type=int, default=11)

    def handle(self, *args, **opts) -> None:
        console = Console()
        code = opts["campaign"]
        if opts["create"]:
            try:
                now = timezone.now()
                services.create_campaign(
                    SYSTEM,
                    code=code,
                    name="Singles Day",
                    sku_code=opts["sku"],
                    market=opts["market"],
                    location_code=opts["location"],
                    price=Decimal(opts["price"]),
                    units=opts["units"],
                    starts_at=now,
                    ends_at=now + timedelta(hours=24),
                    per_customer_limit=opts["limit"],
                    customer_rate_per_second=5,
                    ip_rate_per_second=0,  # every simulated buyer comes from this one address
                )
            except DomainError as exc:
                raise CommandError(f"cannot create {code}: {exc.detail}") from exc
        services.get_campaign(code)
        rng = random.Random(opts["seed"])
        tokens = self._buyers(opts["buyers"], console)
        target = urlsplit(opts["url"])
        counts: Counter[str] = Counter()
        lock = threading.Lock()
        local = threading.local()

        def call(method: str, path: str, token: str, body: dict | None = None) -> tuple[int, dict]:
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=30)
            try:
                conn.request(
                    method,
                    f"/api/flashsale/campaigns/{code}{path}",
                    body=json.dumps(body or {}),
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                )
                resp = conn.getresponse()
                data = resp.read()
                return resp.status, json.loads(data) if data[:1] in (b"{", b"[") else {}
            except (OSError, http.client.HTTPException):
                conn.close()
                local.conn = None
                return 0, {}

        def buyer(token: str, pays: bool) -> None:
            won = []
            for _ in range(opts["attempts"]):
                status, body = call("POST", "/claims", token)
                outcome = "claimed" if status == 201 else body.get("error", f"http {status}")
                if status == 201:
                    won.append(body["id"])
                with lock:
                    counts[outcome] += 1
                progress.advance(task)
            for gate_id in won if pays else ():
                for _ in range(50):  # the writer turns the claim into an order within moments
                    status, body = call("POST", f"/claims/{gate_id}/pay", token, {"payment_token": "tok_ok"})
                    if status != 409 or body.get("error") != "claim_queued":
                        break
                    time.sleep(0.1)
                with lock:
                    counts["paid" if status == 200 else f"payment {body.get('error', status)}"] += 1

        total = len(tokens) * opts["attempts"]
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        started = time.monotonic()
        with Progress(*columns, console=console) as progress:
            task = progress.add_task(f"{len(tokens)} buyers on {code}", total=total)
            with ThreadPoolExecutor(max_workers=opts["threads"]) as pool:
                for f in [pool.submit(buyer, t, rng.random() < opts["pay_ratio"]) for t in tokens]:
                    f.result()
        elapsed = time.monotonic() - started
        console.print(f"{total} requests in {elapsed:.1f} s ({total / elapsed:.0f}/s): {dict(counts)}")
        r = services.campaign_results(SYSTEM, code)
        took = f"{r.sold_out_seconds:.1f} s" if r.sold_out_seconds is not None else "not sold out"
        console.print(
            f"campaign {code}: units {r.units}, claims {r.claims} (queued {r.queued}), paid {r.paid}, "
            f"expired {r.expired}, available {r.available}, waitlist {r.waitlist}; time to sell out {took}"
        )

    def _buyers(self, n: int, console: Console) -> list[str]:
        """Simulated customers sd-buyer-0..n-1 (made once), each with a fresh API token."""
        tokens = []
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("preparing buyers", total=n)
            for i in range(n):
                tokens.append(issue_token(customer_named(f"sd-buyer-{i}"), name="singles_day"))
                progress.advance(task)
        return tokens
