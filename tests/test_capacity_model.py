"""The capacity model's arithmetic (bench/support/capacity_model.py), on figures chosen so every
answer can be worked out by hand. No service: the model is pure."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from support import cpu  # noqa: E402
from support.capacity_model import (  # noqa: E402 - bench/ is not a package; its scripts import support.*
    Assumptions,
    Figures,
    Overheads,
    across_network,
    broker_memory_gib,
    combined_share,
    device_plan,
    distribution_key,
    network_factor,
    nodes_for,
    order_plan,
    saturation_order,
    shared_cpu_prediction,
    whole_node,
)

FIGURES = Figures(
    cores=2,
    ingest_msgs_per_s_per_worker=1_000.0,
    ingest_workers=2,  # 2,000 messages/s per ingest node
    broker_msgs_per_s=10_000.0,
    broker_kib_per_connection=1.0,
    telemetry_rows_per_s_per_primary=40_000.0,
    checkout_orders_per_s_per_node=100.0,
    gate_decisions_per_s_per_node=1_000.0,
    redis_gate_per_s_per_master=20_000.0,
    ledger_tps_per_primary=2_000.0,
    page_ms=20.0,  # 2 workers x 50 pages/s = 100 pages/s per web node
)
ASSUME = Assumptions(
    messages_per_device_per_minute=6.0,  # 0.1 message/s per device
    connections_per_broker_node=1_000_000,
    headroom=0.5,
    markets=3,
    pages_per_order=10.0,
    ledger_transactions_per_order=2.0,
    gate_attempts_per_order=5.0,
)


def test_nodes_for_rounds_up_at_the_headroom():
    assert nodes_for(0, 100, 0.5) == 1
    assert nodes_for(50, 100, 0.5) == 1
    assert nodes_for(50.5, 100, 0.5) == 2
    assert nodes_for(1_000, 100, 0.5) == 20
    with pytest.raises(ValueError):
        nodes_for(1, 0, 0.5)
    with pytest.raises(ValueError):
        nodes_for(1, 100, 1.5)


def test_the_key_is_the_market_then_the_inner_key_on_citus():
    assert distribution_key(1, 3, "device id") == "none: one primary + replicas"
    assert distribution_key(3, 3, "device id") == "market"
    assert distribution_key(4, 3, "order number") == "market, then order number (Citus)"


def test_device_plan_counts_each_kind():
    plan = device_plan(100_000_000, FIGURES, ASSUME)
    needs = {n.kind: n.nodes for n in plan.needs}
    assert plan.messages_per_s == pytest.approx(10_000_000)
    assert needs == {
        "broker (connections)": 200,  # 100M / (1M x 0.5)
        "broker (messages)": 2_000,  # 10M / (10k x 0.5)
        "ingest": 10_000,  # 10M / (2k x 0.5)
        "PostgreSQL (telemetry)": 500,  # 10M / (40k x 0.5)
    }
    assert plan.first == "ingest"
    assert plan.key == "market, then device id (Citus)"


def test_a_small_fleet_needs_one_of_each_and_no_key():
    plan = device_plan(10_000, FIGURES, ASSUME)  # 1,000 messages/s
    assert {n.nodes for n in plan.needs} == {1}
    assert plan.key == "none: one primary + replicas"


def test_order_plan_adds_checkout_and_page_time_on_web_nodes():
    plan = order_plan(1_000, FIGURES, ASSUME)
    needs = {n.kind: n.nodes for n in plan.needs}
    # each order: 1/100 node-second of checkout + 10 pages x 1/100 = 0.11; 1,000/s -> 110 nodes busy -> 220
    assert needs["web"] == 220
    assert needs["web (flash-sale gate)"] == 10  # 5,000 claims/s / (1,000 x 0.5)
    assert needs["Redis Cluster masters"] == 1  # 5,000 / (20,000 x 0.5)
    assert needs["PostgreSQL (ledger)"] == 2  # 2,000 transactions/s / (2,000 x 0.5)
    assert plan.first == "web"
    assert plan.key == "market"


def test_saturation_order_lists_the_weakest_part_first_in_each_unit():
    order = saturation_order(FIGURES, ASSUME)
    devices = [(kind, limit) for kind, limit, unit in order if unit == "devices"]
    assert devices[0] == ("ingest", pytest.approx(10_000))  # 2,000 x 0.5 / 0.1
    assert [kind for kind, _ in devices] == [
        "ingest",
        "broker (messages)",
        "PostgreSQL (telemetry)",
        "broker (connections)",
    ]
    orders = dict((kind, limit) for kind, limit, unit in order if unit == "orders/s")
    assert orders["web"] == pytest.approx(0.5 / 0.11)
    assert orders["PostgreSQL (ledger)"] == pytest.approx(500)


def test_broker_memory_follows_the_measured_kib_per_connection():
    assert broker_memory_gib(2**20, FIGURES) == pytest.approx(1.0)
    assert broker_memory_gib(2**20, replace(FIGURES, broker_kib_per_connection=3.0)) == pytest.approx(3.0)


def test_the_shared_cpu_prediction_splits_one_node_between_loads():
    prediction = shared_cpu_prediction(FIGURES, available_cores=2)
    assert prediction == {"orders_per_s": 100.0, "messages_per_s": 2_000.0, "combined_share": 1.0}
    assert combined_share(50.0, 1_000.0, prediction) == pytest.approx(1.0)
    assert combined_share(25.0, 500.0, prediction) == pytest.approx(0.5)
    assert shared_cpu_prediction(FIGURES, available_cores=1)["orders_per_s"] == 50.0


def test_a_network_round_trip_lengthens_each_unit_of_a_sync_worker():
    # 2 workers at 100 orders/s: 20 ms of a worker per order; 20 statements 100 us slower each add 2 ms.
    assert network_factor(100.0, 2, 20.0, 100.0) == pytest.approx(20 / 22)
    assert network_factor(100.0, 2, 20.0, 0.0) == 1.0
    assert network_factor(100.0, 2, 20.0, -5.0) == 1.0  # a network faster than loopback is noise
    overheads = Overheads(extra_round_trip_us=100.0, statements_per_order=20.0, statements_per_message=0.5)
    node = across_network(FIGURES, overheads)
    assert node.checkout_orders_per_s_per_node == pytest.approx(100.0 * 20 / 22)
    # 1,000 messages/s a worker: 1 ms each; half a statement 100 us slower adds 50 us.
    assert node.ingest_msgs_per_s_per_node == pytest.approx(2_000.0 * 1 / 1.05)


def test_a_figure_measured_with_fewer_cores_left_is_scaled_to_the_whole_node():
    shared = replace(FIGURES, ingest_cores_available=0.5, checkout_cores_available=1.0)
    node = whole_node(shared)
    assert node.ingest_msgs_per_s_per_node == pytest.approx(8_000.0)
    assert node.checkout_orders_per_s_per_node == pytest.approx(200.0)
    assert whole_node(FIGURES) == FIGURES  # no record of the cores left: the whole node is assumed
    # The simulation had 1.5 cores left: three quarters of the whole node, less replication's share.
    overheads = Overheads(replication_share_checkout=0.1, replication_share_telemetry=0.2)
    prediction = shared_cpu_prediction(shared, available_cores=1.5, o=overheads)
    assert prediction["orders_per_s"] == pytest.approx(200.0 * 0.75 * 0.9)
    assert prediction["messages_per_s"] == pytest.approx(8_000.0 * 0.75 * 0.8)


def test_cores_left_are_the_machine_less_everyone_elses():
    before = cpu.Sample(at=0.0, machine=100.0, processes={1: 10.0, 2: 5.0}, self_s=1.0, children_s=2.0)
    # In 10 s: process 1 used 6 s, process 3 (new) 4 s, process 2 ended (lost), this process 0.5 s
    # and its children 0.5 s;
    # the machine 18 s: everyone else 7 s.
    after = cpu.Sample(at=10.0, machine=118.0, processes={1: 16.0, 3: 4.0}, self_s=1.5, children_s=2.5)
    assert cpu.share(before, after, cores=2) == {
        "own_cores": 1.1,
        "machine_cores": 1.8,
        "others_cores": 0.7,
        "available_cores": 1.3,
    }
