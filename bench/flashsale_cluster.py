"""What a Redis Cluster costs the flash-sale gate, per web worker: one Redis against a 3+3 cluster.

The gate's fast path (``flashsale.services.claim_with_token``: a warm bearer token, no database) is
called in a loop from one process, as one web worker calls it, against:

1. one private Redis (AOF everysec): the token check and the claim in one script, one round trip;
2. a private Redis Cluster of 3 masters and 3 replicas (tests/redis_cluster.py, AOF everysec): the
   token entry read first (it lives in another slot), then the claim on the campaign's master
   followed by ``WAIT 1`` for its replica, as the gate runs it;
3. the same cluster without the WAIT (the gate told the master has no replica), to show what the
   replica's confirmation costs on its own.

Every call is an accepted claim (pool and limit out of reach), spread over ``--customers`` tokens.
The value is the cluster's decisions/s per worker, the ceiling one Redis's; goal: at least half (the
cluster path is two round trips and a replica's confirmation where one Redis needs one). A cluster
is for capacity (campaigns spread over masters, each master as fast as one Redis) and for failover,
not for a single worker's speed.

    python bench/flashsale_cluster.py [--claims N] [--customers N]

The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from support.harness import ROOT, free_port

sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "millet.settings")
os.environ.setdefault("MILLET_DATA_DIR", tempfile.mkdtemp(prefix="millet-bench-cluster-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{Path(os.environ['MILLET_DATA_DIR']) / 'unused.sqlite3'}")

GOAL = 0.5
CODE = "bench-cluster"


def single_redis() -> tuple[subprocess.Popen, str, str]:
    port, data = free_port(), tempfile.mkdtemp(prefix="millet-bench-redis-")
    proc = subprocess.Popen(
        [shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(port), "--bind", "127.0.0.1",
         "--dir", data, "--save", "", "--appendonly", "yes", "--appendfsync", "everysec"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return proc, f"redis://127.0.0.1:{port}/0", data


def rate(url: str, *, claims: int, customers: int, wait_for_replica: bool = True) -> float:
    """Accepted claims per second through the fast path against ``url``, one caller."""
    from django.conf import settings
    from django.utils import timezone

    from millet.accounts.services import token_cache_key
    from millet.core import redis_client
    from millet.flashsale import services
    from millet.flashsale.services import gate

    settings.REDIS_URL = url
    gate.reset_client()
    client = gate.client()
    for _ in range(100):  # until the server answers
        try:
            client.ping()
            break
        except redis_client.ERRORS:
            time.sleep(0.05)
    now = timezone.now()
    gate.forget(CODE)
    gate.load(code=CODE, starts_at=now - timedelta(seconds=1), ends_at=now + timedelta(hours=1), limit=10**9,
              pool=10**9, customer_rate=0, ip_rate=0, taken={})  # fmt: skip
    tokens = [f"mlt_bench{n}" for n in range(1, customers + 1)]
    pipe = client.pipeline(transaction=False)
    for n, raw in enumerate(tokens, 1):  # a warm owner entry; a use far ahead so none is recorded
        pipe.set(token_cache_key(raw), f"{n}:{n}:0:1e12", ex=3600)
    pipe.execute()
    if not wait_for_replica:
        for node in client.get_primaries():
            gate._unreplicated_until[node.name] = float("inf")
    for raw in tokens[:200]:  # warm-up: connections to every master, scripts loaded
        services.claim_with_token(raw, CODE)
    began = time.perf_counter()
    for n in range(claims):
        assert services.claim_with_token(tokens[n % customers], CODE).status == "queued"
    took = time.perf_counter() - began
    gate._unreplicated_until.clear()
    gate.forget(CODE)
    gate.reset_client()
    return claims / took


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--claims", type=int, default=5000, help="claims per measurement")
    parser.add_argument("--rounds", type=int, default=2, help="measurements of each, the best kept")
    parser.add_argument("--customers", type=int, default=1000)
    args = parser.parse_args()

    import django

    django.setup()
    from tests.redis_cluster import PrivateCluster

    proc, url, data = single_redis()
    cluster = PrivateCluster()
    try:
        cluster.start()
        print(f"one Redis {url}; cluster of 3 masters + 3 replicas {cluster.url}", flush=True)
        runs: dict[str, list[float]] = {"one": [], "cluster": [], "no_wait": []}
        for _ in range(args.rounds):  # interleaved, so a busy moment of the machine hits all three
            runs["one"].append(rate(url, claims=args.claims, customers=args.customers))
            runs["cluster"].append(rate(cluster.url, claims=args.claims, customers=args.customers))
            runs["no_wait"].append(
                rate(cluster.url, claims=args.claims, customers=args.customers, wait_for_replica=False)
            )
        one, clustered, no_wait = (max(runs[k]) for k in ("one", "cluster", "no_wait"))
        print(f"one Redis: {one:.0f} claims/s per worker (token check inside the script)", flush=True)
        print(f"cluster: {clustered:.0f} claims/s per worker (token GET, claim, WAIT 1)", flush=True)
        print(f"cluster without WAIT: {no_wait:.0f} claims/s per worker", flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)
        cluster.stop()
    print(
        json.dumps(
            {
                "bench": "flashsale_cluster",
                "value": round(clustered, 1),
                "unit": "gate claims/s per worker on a Redis Cluster (WAIT 1)",
                "ceiling": round(one, 1),
                "ratio": round(clustered / one, 3),
                "goal": GOAL,
                "cluster_without_wait_per_s": round(no_wait, 1),
                "wait_cost_ms": round(1000 / clustered - 1000 / no_wait, 3),
                "claims": args.claims,
                "rounds": args.rounds,
                "customers": args.customers,
            }
        )
    )


if __name__ == "__main__":
    main()
