"""The capacity model's arithmetic (bench/support/capacity_model.py), on figures chosen so every
answer can be worked out by hand. No service: the model is pure."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from support.capacity_model import (  # noqa: E402 - bench/ is not a package; its scripts import support.*
    Assumptions,
    Figures,
    broker_memory_gib,
    combined_share,
    device_plan,
    distribution_key,
    nodes_for,
    order_plan,
    saturation_order,
    shared_cpu_prediction,
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
    prediction = shared_cpu_prediction(FIGURES, sim_cores=2)
    assert prediction == {"orders_per_s": 100.0, "messages_per_s": 2_000.0, "combined_share": 1.0}
    assert combined_share(50.0, 1_000.0, prediction) == pytest.approx(1.0)
    assert combined_share(25.0, 500.0, prediction) == pytest.approx(0.5)
    assert shared_cpu_prediction(FIGURES, sim_cores=1)["orders_per_s"] == 50.0
