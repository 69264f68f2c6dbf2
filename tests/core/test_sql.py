"""core.sql: the hot paths' hand-written SQL helpers store and read values exactly as the ORM does,
on SQLite and on PostgreSQL (the suite runs on both)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict

from millet.catalog.models import DeviceModel
from millet.core import sql
from millet.finance.models import Payment
from millet.sales.models import Order, OrderKey, OrderLine

pytestmark = pytest.mark.django_db


def _payment(reference: str, amount: str) -> Payment:
    return Payment(
        reference=reference, gateway="test", currency="CNY", amount=Decimal(amount), status="authorized"
    )


def test_an_inserted_row_reads_back_as_the_orm_would_have_stored_it():
    fast, orm = _payment("CN-1", "1999.99"), _payment("CN-2", "1999.99")
    sql.insert([fast])
    orm.save(force_insert=True)
    assert fast.pk and fast.pk != orm.pk and not fast._state.adding
    assert fast.created_at is not None  # auto_now_add ran, as in save()
    read = {p.reference: model_to_dict(p, exclude=["id", "reference"]) for p in Payment.objects.all()}
    assert read["CN-1"] == read["CN-2"]
    assert read["CN-1"]["amount"] == Decimal("1999.99")


def test_json_fields_and_many_rows_in_one_statement_keep_their_order_and_ids():
    specs = [{"services": [{"siid": n, "name": "ünïcode", "ratio": 0.5}]} for n in range(3)]
    models = [DeviceModel(urn=f"urn:test:{n}", name=f"Model {n}", spec=spec) for n, spec in enumerate(specs)]
    sql.insert(models)
    assert [m.pk for m in models] == sorted(m.pk for m in models)
    for model in models:
        assert DeviceModel.objects.get(pk=model.pk).spec == model.spec


def test_a_model_with_its_own_primary_key_is_inserted_without_asking_for_one_back():
    sql.insert([OrderKey(number="CN261130-TEST", idempotency_key="k-1")])
    assert OrderKey.objects.get(pk="CN261130-TEST").idempotency_key == "k-1"


def test_an_update_of_many_rows_stores_what_bulk_update_stores_and_leaves_other_fields_alone():
    specs = [{"n": n} for n in range(3)]
    fast = [DeviceModel(urn=f"urn:fast:{n}", name=f"Fast {n}", spec=spec) for n, spec in enumerate(specs)]
    orm = [DeviceModel(urn=f"urn:orm:{n}", name=f"Orm {n}", spec=spec) for n, spec in enumerate(specs)]
    sql.insert(fast + orm)
    for models in (fast, orm):
        for n, model in enumerate(models):
            model.spec = {"services": [{"siid": n, "name": "ünïcode", "none": None}]} if n % 2 else {}
            model.name = "not written"  # not among the fields updated
    sql.update(fast, ["spec"])
    DeviceModel.objects.bulk_update(orm, ["spec"])
    stored = {m.urn: m for m in DeviceModel.objects.all()}
    for n in range(3):
        assert stored[f"urn:fast:{n}"].spec == stored[f"urn:orm:{n}"].spec == fast[n].spec
        assert stored[f"urn:fast:{n}"].name == f"Fast {n}"
    sql.update([], ["spec"])  # nothing to write, no statement


NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _order(number: str, sku_ids: list[int]) -> tuple[Order, list[OrderLine]]:
    order = Order(
        number=number,
        channel="web",
        market_id="CN",
        currency="CNY",
        subtotal=Decimal("20.00"),
        tax=Decimal("2.30"),
        total=Decimal("20.00"),
        created_at=NOW,
    )
    lines = [
        OrderLine(
            sku_id=sku_id,
            quantity=n + 1,
            unit_price=Decimal("10.00"),
            tax=Decimal("1.15"),
            tax_components={"VAT": "1.15"},
            total=Decimal("10.00"),
        )
        for n, sku_id in enumerate(sku_ids)
    ]
    return order, lines


def test_a_family_is_written_as_the_orm_writes_it_with_each_child_under_its_parent(world):
    skus = [world.skus["CABLE-C"].pk, world.skus["BAND2"].pk]
    fast, fast_lines = _order("CN261130-FAM1", skus)
    sql.insert_family([OrderKey(number=fast.number, idempotency_key="fam-1")], fast, fast_lines, "order")
    orm, orm_lines = _order("CN261130-FAM2", skus)
    orm.save(force_insert=True)
    for line in orm_lines:
        line.order = orm
        line.save(force_insert=True)
    assert (
        fast.pk and not fast._state.adding and OrderKey.objects.get(pk=fast.number).idempotency_key == "fam-1"
    )
    assert [line.order_id for line in fast_lines] == [fast.pk, fast.pk]
    assert [line.pk for line in fast_lines] == sorted(line.pk for line in fast_lines)

    def stored(order):
        lines = [model_to_dict(line, exclude=["id", "order"]) for line in order.lines.order_by("pk")]
        return model_to_dict(Order.objects.get(pk=order.pk), exclude=["id", "number"]), lines

    assert stored(fast) == stored(orm)
    assert [line.quantity for line in OrderLine.objects.filter(order_id=fast.pk).order_by("pk")] == [1, 2]


def test_a_refused_key_row_refuses_the_whole_family(world):
    sql.insert([OrderKey(number="CN261130-TAKEN", idempotency_key="fam-taken")])
    order, lines = _order("CN261130-FAM3", [world.skus["CABLE-C"].pk])
    with pytest.raises(IntegrityError), transaction.atomic():
        sql.insert_family([OrderKey(number=order.number, idempotency_key="fam-taken")], order, lines, "order")
    assert not Order.objects.filter(number="CN261130-FAM3").exists()
    assert not OrderLine.objects.filter(order__number="CN261130-FAM3").exists()


def test_a_row_before_the_parent_must_carry_its_own_key(world):
    """The statement reads back only the family's keys, so a generated one would be lost: refused on
    both backends alike, before anything is written."""
    order, lines = _order("CN261130-FAM4", [world.skus["CABLE-C"].pk])
    with pytest.raises(TypeError, match="Payment"):
        sql.insert_family([_payment(order.number, "1.00")], order, lines, "order")
    assert not Order.objects.filter(number="CN261130-FAM4").exists()


def test_values_read_by_hand_become_what_the_orm_returns():
    assert sql.decimal_of("0.10") == Decimal("0.10") and sql.decimal_of(None) is None
    naive = datetime(2026, 11, 30, 12, 0)
    assert sql.aware(naive) == datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert sql.aware(None) is None
    assert sql.placeholders(3) == "%s, %s, %s"
    rows = sql.rows("SELECT CAST(amount AS TEXT) FROM finance_payment WHERE reference = %s", ["none"])
    assert rows == []
