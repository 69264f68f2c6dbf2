"""The web store's server time per page, against the trivial endpoint, and each page's weight.

Builds the demo company on a fresh PostgreSQL database, serves it on gunicorn (2 sync workers, one
per core, persistent database connections), signs the demo customer in, puts a product in their
cart, then times the pages a shopper walks through, each with its own requests one after another
(so the time is the server's, not a queue's; on loopback the network adds a few microseconds):
the market home, a category, a product, the cart and an order, beside ``GET /api/health``. Rounds
alternate the pages and the medians are kept: the machine is shared.

Weight is what a first visit downloads before images: the page's HTML plus the stylesheets and
scripts it links, as a browser receives them (``Accept-Encoding: gzip``: WhiteNoise serves the
static files' precompressed copies, the HTML is sent as it is), and uncompressed beside it.

    python bench/storefront.py [--requests 200] [--rounds 3] [--market cn]

The last line is JSON: {"bench", "value" (product page p95 ms), "unit", "ceiling" (/api/health p95
ms), "ratio", "goal" (50 ms), ...} with every page's p50/p95 and weight (goal: under 150 KB).
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import statistics
import tempfile
from pathlib import Path

from support.harness import (
    django_script,
    free_port,
    fresh_postgres,
    millet,
    percentile,
    postgres_env,
    serve,
    timed_gets,
)

DB_NAME = "millet_bench_storefront"
GOAL_MS = 50.0
GOAL_KB = 150.0

# The pages, from the same services a shopper's clicks reach: the demo customer's newest order in
# the market, a product that has stock there, and that product's category.
SETUP = """
import json
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from millet.accounts.actor import actor_for_user
from millet.catalog import services as catalog
from millet.sales import services as sales

market = %(market)r
user = get_user_model().objects.get(username="customer")
actor = actor_for_user(user)
product = catalog.list_products(market.upper())[0]
cart = sales.open_cart(actor, market.upper())
sales.set_cart_line(actor, cart.pk, product.skus[0].code, 1)
order = sales.list_orders(actor, limit=1)[0]
client = Client()
client.force_login(user)
print(json.dumps({
    "cookie": "sessionid=" + client.cookies["sessionid"].value,
    "pages": {
        "home": reverse("catalog:home", kwargs={"market": market}),
        "category": reverse("catalog:category", kwargs={"market": market, "category": product.category}),
        "product": reverse("catalog:product", kwargs={"market": market, "slug": product.slug}),
        "cart": reverse("sales:cart", kwargs={"market": market}),
        "order": reverse("sales:order", kwargs={"number": order.number}),
    },
}))
"""


def fetch(port: int, path: str, cookie: str, encoding: str = "identity") -> bytes:
    """The body as sent, compressed when ``encoding`` asks for it and the server obliges."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"Cookie": cookie, "Accept-Encoding": encoding})
    body = conn.getresponse().read()
    conn.close()
    return body


def weight_kb(port: int, path: str, cookie: str, encoding: str) -> float:
    """HTML plus the same-origin stylesheets and scripts the page links, in KB (1,000 bytes)."""
    html = fetch(port, path, cookie, encoding)
    text = fetch(port, path, cookie).decode()
    assets = set(re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="(/[^"]+)"', text))
    assets |= set(re.findall(r'<script[^>]+src="(/[^"]+)"', text))
    return (len(html) + sum(len(fetch(port, asset, cookie, encoding)) for asset in assets)) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200, help="Requests per page per round.")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--market", default="cn", choices=["cn", "in", "de"])
    args = parser.parse_args()

    env = postgres_env(DB_NAME, Path(tempfile.mkdtemp(prefix="millet-bench-storefront-")))
    print(f"fresh database {DB_NAME}; building the demo company", flush=True)
    fresh_postgres(DB_NAME, env)
    millet("demo", env=env)
    seed = json.loads(django_script(SETUP % {"market": args.market}, env).strip().splitlines()[-1])
    pages, cookie = {"health": "/api/health", **seed["pages"]}, seed["cookie"]

    port = free_port()
    times: dict[str, list[list[float]]] = {name: [] for name in pages}
    with serve(port, env):
        for path in pages.values():  # warm-up: each worker imports its views and fills its caches
            timed_gets(port, path, cookie, 20)
        for round_no in range(1, args.rounds + 1):
            for name, path in pages.items():
                times[name].append(timed_gets(port, path, cookie, args.requests))
            print(
                f"round {round_no}: "
                + ", ".join(f"{name} p95 {percentile(times[name][-1], 95)} ms" for name in pages),
                flush=True,
            )
        weights, raw = (
            {name: round(weight_kb(port, path, cookie, encoding), 1) for name, path in seed["pages"].items()}
            for encoding in ("gzip", "identity")
        )

    figures = {}
    for name, rounds in times.items():
        p95s = [percentile(r, 95) for r in rounds]
        median = rounds[p95s.index(statistics.median_low(p95s))]  # the median round
        figures[name] = {"p50_ms": percentile(median, 50), "p95_ms": percentile(median, 95)}
    print(f"\n{'page':<10}{'path':<44}{'p50 ms':>9}{'p95 ms':>9}{'KB sent':>9}{'KB raw':>8}")
    for name, path in pages.items():
        sent, whole = weights.get(name, ""), raw.get(name, "")
        print(
            f"{name:<10}{path:<44}{figures[name]['p50_ms']:>9}{figures[name]['p95_ms']:>9}{sent:>9}{whole:>8}"
        )
    product, health = figures["product"]["p95_ms"], figures["health"]["p95_ms"]
    heaviest = max(weights, key=weights.get)
    print(
        f"product page p95 {product} ms (goal {GOAL_MS:.0f} ms) against /api/health p95 {health} ms; "
        f"heaviest page {heaviest} {weights[heaviest]} KB sent with gzip, {raw[heaviest]} KB uncompressed "
        f"(goal under {GOAL_KB:.0f} KB)"
    )
    print(
        json.dumps(
            {
                "bench": "storefront",
                "value": product,
                "unit": "ms (product page server time, p95)",
                "ceiling": health,
                "ratio": round(product / health, 2) if health else None,
                "goal": GOAL_MS,
                "pages": {
                    name: {**figures[name], "kb_sent": weights.get(name), "kb_raw": raw.get(name)}
                    for name in pages
                },
                "heaviest_kb_sent": weights[heaviest],
                "heaviest_kb_raw": raw[heaviest],
                "goal_kb": GOAL_KB,
                "market": args.market,
                "requests_per_round": args.requests,
                "rounds": args.rounds,
                "workers": 2,
            }
        )
    )


if __name__ == "__main__":
    main()
