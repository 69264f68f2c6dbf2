"""The capacity model behind bench/capacity.py: pure arithmetic from measured per-node figures to node
counts, with no service and no I/O (tests/test_capacity_model.py checks it).

A *node* is a machine like the one the figures were measured on (``Figures.cores`` cores). Every
CPU-bound figure (web, ingest, a PostgreSQL primary) is taken as it was measured on such a node; a
figure is never extrapolated to more cores, because the benches run with the database, the workers
and the load generator sharing those same cores (docs/SCALE.md says what that means). The ingest and
checkout figures are scaled back to the node's own cores from the cores the machine's other sessions
left their bench (:func:`whole_node`), and a node whose database is across a network keeps the share
of them :func:`network_factor` gives (:class:`Overheads`, measured by the 3-node simulation).

Each kind of node is planned to run at ``Assumptions.headroom`` of what it measured (0.5: a node
loses half its peers' load when one of a pair fails, and peaks come in seconds, not hours). The
count of a kind is ``ceil(demand / (capacity per node * headroom))``.

The keys that spread the load once one node of a kind is not enough (issue 15): first the market
(each market is a whole deployment of its own: CN, IN, DE), then, inside a market, the device id
for the device cloud (broker connections are spread by the load balancer; telemetry rows are
sharded by ``device_id`` with Citus) and the order number for sales and the ledger (Citus shards
orders and ledger transfers by order number; the sub-accounts of ``chart.sub_account_for`` are
already chosen by it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Figures:
    """What the benches measured on one node of ``cores`` cores. Units in each name."""

    cores: int
    ingest_msgs_per_s_per_worker: float  # bench/telemetry.py: stored messages/s / workers
    ingest_workers: int  # workers the telemetry bench ran (one per core)
    broker_msgs_per_s: float  # bench/telemetry.py ceiling_mosquitto: one broker passing messages on
    broker_kib_per_connection: float  # bench/telemetry.py: Mosquitto's RSS growth per held connection
    telemetry_rows_per_s_per_primary: float  # bench/telemetry.py ceiling_postgres_copy
    checkout_orders_per_s_per_node: float  # bench/checkout.py value (2 sync workers)
    gate_decisions_per_s_per_node: float  # bench/flashsale.py value (2 sync workers)
    redis_gate_per_s_per_master: float  # bench/flashsale.py core_redis_per_s (the Lua script alone)
    ledger_tps_per_primary: float  # bench/ledger.py single_tps: one transfer per transaction
    page_ms: float  # bench/storefront.py: product page server time, p50
    # The cores left to each bench by the machine's other sessions while it measured (support/cpu.py);
    # None for a figure measured before the benches recorded it: then the whole node is assumed.
    ingest_cores_available: float | None = None
    checkout_cores_available: float | None = None

    @property
    def ingest_msgs_per_s_per_node(self) -> float:
        return self.ingest_msgs_per_s_per_worker * self.ingest_workers

    @property
    def pages_per_s_per_node(self) -> float:
        """Sync workers, one per core, each busy ``page_ms`` per page."""
        return self.cores * 1000.0 / self.page_ms


@dataclass(frozen=True)
class Assumptions:
    """What the model is told rather than measures; every one is printed beside the table."""

    messages_per_device_per_minute: float = 1.0  # telemetry uplink per connected device
    connections_per_broker_node: int = 1_000_000  # held by one broker node of the cluster
    headroom: float = 0.5  # the share of a node's measured rate it is planned to carry
    markets: int = 3  # CN, IN, DE: each market is its own deployment
    pages_per_order: float = 10.0  # store pages served per order placed
    ledger_transactions_per_order: float = 2.0  # the authorisation at checkout, the capture at fulfilment
    gate_attempts_per_order: float = 5.0  # flash-sale claims per order at the peak of a sale


@dataclass(frozen=True)
class Need:
    """How many nodes of one kind a load needs, and how busy one node would be with all of it."""

    kind: str
    nodes: int
    one_node_load: float  # demand / (capacity per node * headroom): above 1, one node is not enough


def nodes_for(demand: float, per_node: float, headroom: float) -> int:
    """Nodes needed to carry ``demand`` when each carries ``per_node * headroom`` (at least 1).

    Raises ValueError for a capacity or headroom that is not positive.
    """
    if per_node <= 0 or not 0 < headroom <= 1:
        raise ValueError(f"capacity {per_node} and headroom {headroom} must be positive (headroom <= 1)")
    return max(1, math.ceil(demand / (per_node * headroom) - 1e-9))


def _need(kind: str, demand: float, per_node: float, headroom: float) -> Need:
    return Need(kind, nodes_for(demand, per_node, headroom), demand / (per_node * headroom))


def distribution_key(primaries: int, markets: int, inner_key: str) -> str:
    """How the rows of one kind are spread for ``primaries`` PostgreSQL primaries.

    One primary: no key (one primary, read replicas beside it). Up to one per market: the market
    (each market its own deployment). Beyond: the market, then ``inner_key`` across Citus workers.
    """
    if primaries <= 1:
        return "none: one primary + replicas"
    if primaries <= markets:
        return "market"
    return f"market, then {inner_key} (Citus)"


@dataclass(frozen=True)
class DevicePlan:
    devices: int
    messages_per_s: float
    needs: list[Need]
    first: str  # the kind that saturates first: the highest one-node load
    key: str


@dataclass(frozen=True)
class OrderPlan:
    orders_per_s: float
    needs: list[Need]
    first: str
    key: str


def device_plan(devices: int, f: Figures, a: Assumptions) -> DevicePlan:
    """Nodes for ``devices`` connected devices: broker (connections, messages), ingest, primaries."""
    rate = devices * a.messages_per_device_per_minute / 60.0
    needs = [
        _need("broker (connections)", devices, a.connections_per_broker_node, a.headroom),
        _need("broker (messages)", rate, f.broker_msgs_per_s, a.headroom),
        _need("ingest", rate, f.ingest_msgs_per_s_per_node, a.headroom),
        _need("PostgreSQL (telemetry)", rate, f.telemetry_rows_per_s_per_primary, a.headroom),
    ]
    first = max(needs, key=lambda n: n.one_node_load).kind
    primaries = next(n.nodes for n in needs if n.kind.startswith("PostgreSQL"))
    return DevicePlan(devices, rate, needs, first, distribution_key(primaries, a.markets, "device id"))


def order_plan(orders_per_s: float, f: Figures, a: Assumptions) -> OrderPlan:
    """Nodes for ``orders_per_s``: web (checkout plus the pages browsed per order), flash-sale gate
    (web and Redis Cluster masters at the sale's claim rate), ledger primaries."""
    web_load = orders_per_s / f.checkout_orders_per_s_per_node
    web_load += orders_per_s * a.pages_per_order / f.pages_per_s_per_node
    claims = orders_per_s * a.gate_attempts_per_order
    needs = [
        Need("web", nodes_for(web_load, 1.0, a.headroom), web_load / a.headroom),
        _need("web (flash-sale gate)", claims, f.gate_decisions_per_s_per_node, a.headroom),
        _need("Redis Cluster masters", claims, f.redis_gate_per_s_per_master, a.headroom),
        _need(
            "PostgreSQL (ledger)",
            orders_per_s * a.ledger_transactions_per_order,
            f.ledger_tps_per_primary,
            a.headroom,
        ),
    ]
    first = max(needs, key=lambda n: n.one_node_load).kind
    primaries = next(n.nodes for n in needs if n.kind.startswith("PostgreSQL"))
    return OrderPlan(orders_per_s, needs, first, distribution_key(primaries, a.markets, "order number"))


def saturation_order(f: Figures, a: Assumptions) -> list[tuple[str, float, str]]:
    """Each part's one-node limit (devices or orders/s one node carries at ``headroom``), lowest first."""
    per_device = a.messages_per_device_per_minute / 60.0
    web_per_order = 1 / f.checkout_orders_per_s_per_node + a.pages_per_order / f.pages_per_s_per_node
    limits = [
        ("broker (connections)", a.connections_per_broker_node * a.headroom, "devices"),
        ("broker (messages)", f.broker_msgs_per_s * a.headroom / per_device, "devices"),
        ("ingest", f.ingest_msgs_per_s_per_node * a.headroom / per_device, "devices"),
        ("PostgreSQL (telemetry)", f.telemetry_rows_per_s_per_primary * a.headroom / per_device, "devices"),
        ("web", a.headroom / web_per_order, "orders/s"),
        (
            "web (flash-sale gate)",
            f.gate_decisions_per_s_per_node * a.headroom / a.gate_attempts_per_order,
            "orders/s",
        ),
        (
            "Redis Cluster masters",
            f.redis_gate_per_s_per_master * a.headroom / a.gate_attempts_per_order,
            "orders/s",
        ),
        (
            "PostgreSQL (ledger)",
            f.ledger_tps_per_primary * a.headroom / a.ledger_transactions_per_order,
            "orders/s",
        ),
    ]
    return sorted(limits, key=lambda item: (item[2], item[1]))


def broker_memory_gib(connections: int, f: Figures) -> float:
    """RAM one broker node needs for its connections at the measured KiB per connection."""
    return connections * f.broker_kib_per_connection / 2**20


@dataclass(frozen=True)
class Overheads:
    """What a deployment across hosts pays that one node's benches, everything on loopback, do not.

    Each is measured by bench/capacity.py's 3-node simulation (docs/SCALE.md says how); the zero
    default is the one-node bench itself.
    """

    extra_round_trip_us: float = 0.0  # SELECT 1 from an app host across the network, less on the DB host
    statements_per_order: float = 0.0  # pg_stat_statements calls per order placed (phase B)
    statements_per_message: float = 0.0  # pg_stat_statements calls per telemetry message stored (phase A)
    replication_share_checkout: float = 0.0  # replica + walsender CPU / all the hosts' CPU (phase B)
    replication_share_telemetry: float = 0.0  # the same in phase A


def network_factor(rate_per_node: float, workers: int, statements_per_unit: float, extra_us: float) -> float:
    """The share of its one-node rate a node keeps when its database is across a network.

    A sync worker sends its statements one after another and waits for each answer: at
    ``rate_per_node`` over ``workers`` workers one unit takes ``workers / rate_per_node`` seconds of
    a worker, and across the network each of its ``statements_per_unit`` round trips takes
    ``extra_us`` longer (never less: a measured negative difference is noise and counts as 0).
    """
    unit = workers / rate_per_node
    return unit / (unit + statements_per_unit * max(extra_us, 0.0) / 1e6)


def checkout_factor(f: Figures, o: Overheads) -> float:
    """:func:`network_factor` of a web node: one sync worker per core, as bench/checkout.py runs."""
    return network_factor(
        f.checkout_orders_per_s_per_node, f.cores, o.statements_per_order, o.extra_round_trip_us
    )


def ingest_factor(f: Figures, o: Overheads) -> float:
    """:func:`network_factor` of an ingest node: its workers wait for each batch's statements."""
    return network_factor(
        f.ingest_msgs_per_s_per_node, f.ingest_workers, o.statements_per_message, o.extra_round_trip_us
    )


def across_network(f: Figures, o: Overheads) -> Figures:
    """The figures of a node whose database is on another host: what the node-count plans use."""
    return replace(
        f,
        checkout_orders_per_s_per_node=f.checkout_orders_per_s_per_node * checkout_factor(f, o),
        ingest_msgs_per_s_per_worker=f.ingest_msgs_per_s_per_worker * ingest_factor(f, o),
    )


def whole_node(f: Figures) -> Figures:
    """The figures a node gives with its cores to itself: each figure measured with fewer cores left
    to it by the machine's other sessions, scaled by ``cores`` over the cores it had.

    This is the same machine, not a bigger one: the work per unit is what the bench measured, and the
    3-node simulation checks that the rates follow the cores left to them (docs/SCALE.md).
    """
    return replace(
        f,
        ingest_msgs_per_s_per_worker=f.ingest_msgs_per_s_per_worker
        * f.cores
        / (f.ingest_cores_available or f.cores),
        checkout_orders_per_s_per_node=f.checkout_orders_per_s_per_node
        * f.cores
        / (f.checkout_cores_available or f.cores),
        ingest_cores_available=None,
        checkout_cores_available=None,
    )


def shared_cpu_prediction(f: Figures, available_cores: float, o: Overheads = Overheads()) -> dict[str, float]:
    """The model's prediction for the 3-node simulation, whose hosts share one machine's cores.

    With their own cores, the two web-and-ingest hosts would each carry a node's figures. Sharing
    the measuring machine's cores, the hosts together are one node's worth of CPU, or what the
    machine's other sessions leave of it: each load alone reaches the whole node's figure
    (:func:`whole_node`) scaled by the cores left to the simulation (``available_cores``) over the
    node's cores; the network costs each round trip more (:func:`network_factor`); the replica's
    replay and the primary's walsender take their measured share of the same cores. Two loads at
    once split the CPU, so their shares of these figures add up to 1.
    """
    node = whole_node(f)
    share = available_cores / f.cores
    return {
        "orders_per_s": node.checkout_orders_per_s_per_node
        * share
        * checkout_factor(node, o)
        * (1 - o.replication_share_checkout),
        "messages_per_s": node.ingest_msgs_per_s_per_node
        * share
        * ingest_factor(node, o)
        * (1 - o.replication_share_telemetry),
        "combined_share": 1.0,
    }


def combined_share(orders_per_s: float, messages_per_s: float, prediction: dict[str, float]) -> float:
    """How much of one node's predicted work two simultaneous loads did: orders/s over predicted
    orders/s plus messages/s over predicted messages/s (the model says 1.0)."""
    return orders_per_s / prediction["orders_per_s"] + messages_per_s / prediction["messages_per_s"]
