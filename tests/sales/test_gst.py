"""India's GST through every place that splits a tax: order lines, the place of supply (CGST + SGST
within a state, IGST between states), refunds of partial returns, the ledger's tax accounts and the
accountants' exports. The law fixes each component's rate, so CGST always equals SGST."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from millet.finance.services import balances, total_balance_check, trial_balance, trial_balance_csv
from millet.inventory import services as inventory
from millet.inventory.models import Location
from millet.sales.models import Order
from millet.sales.pricing import LineInput, line_tax, price_order, share_of
from millet.stores.models import StaffMember

pytestmark = pytest.mark.django_db
READ_ONLY = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def posted(code: str) -> int:
    """What an account holds in minor units (credits minus debits), 0 if nobody booked to it yet."""
    found = balances([code]).get(code)
    return found.credits_posted - found.debits_posted if found else 0


def order_in(world, *, sku="MI6-64", quantity=1, user="alice", **extra):
    body = {
        "market": "IN",
        "lines": [{"sku": sku, "quantity": quantity}],
        "payment_token": "tok_ok",
        **extra,
    }
    return world.client(user).post("/sales/orders", body)


def ship(world, number: str) -> dict:
    shipped = world.client("staff").post(f"/sales/orders/{number}/fulfil")
    assert shipped.status_code == 200, shipped.content
    return shipped.json()


def test_within_a_state_the_order_carries_equal_cgst_and_sgst_on_the_ledger(world):
    placed = order_in(world, shipping_state="IN-KA")  # shipped from Bengaluru (IN-KA) to Karnataka
    assert placed.status_code == 201, placed.content
    order = placed.json()
    assert order["shipping_state"] == "IN-KA"
    line = order["lines"][0]
    assert line["tax_components"] == {"CGST": "1525.35", "SGST": "1525.35"}
    assert Decimal(order["tax"]) == Decimal(line["tax"]) == Decimal("3050.70")
    ship(world, order["number"])
    assert posted("tax:IN:CGST:INR") == posted("tax:IN:SGST:INR") == 152535
    assert posted("tax:IN:IGST:INR") == 0
    assert posted("revenue:web:IN:INR") == 1999900 - 305070
    assert total_balance_check() == 0


def test_an_address_in_another_state_makes_the_supply_inter_state_igst(world):
    order = order_in(world, shipping_state="IN-MH", shipping_city="Mumbai").json()
    assert order["lines"][0]["tax_components"] == {"IGST": "3050.69"}  # 19999 * 18/118, half-up
    assert Decimal(order["tax"]) == Decimal("3050.69")
    ship(world, order["number"])
    assert posted("tax:IN:IGST:INR") == 305069
    assert posted("tax:IN:CGST:INR") == posted("tax:IN:SGST:INR") == 0
    assert posted("revenue:web:IN:INR") == 1999900 - 305069


def test_no_state_given_is_taken_as_the_suppliers_own(world):
    order = order_in(world).json()
    assert order["shipping_state"] == ""
    assert order["lines"][0]["tax_components"] == {"CGST": "1525.35", "SGST": "1525.35"}


def test_a_line_shipped_from_two_states_is_two_supplies(world):
    """Two units for Mumbai: one from a Mumbai warehouse (intra-state), one from Bengaluru (IGST)."""
    mumbai = inventory.create_location(
        code="WH-IN-BOM",
        name="Mumbai",
        kind="warehouse",
        market="IN",
        city="Mumbai",
        state="IN-MH",
        latitude=Decimal("19.076"),
        longitude=Decimal("72.8777"),
    )
    world.locations["WH-IN-BOM"] = mumbai.pk
    world.receive("MI6-64", "WH-IN-BOM", 1)
    order = order_in(world, quantity=2, shipping_state="IN-MH", latitude="19.07", longitude="72.87").json()
    components = {k: Decimal(v) for k, v in order["lines"][0]["tax_components"].items()}
    # 39998.00 spread over the two supplies: 19999.00 each, each taxed on its own.
    assert components == {"CGST": Decimal("1525.35"), "SGST": Decimal("1525.35"), "IGST": Decimal("3050.69")}
    assert Decimal(order["tax"]) == sum(components.values())
    ship(world, order["number"])
    assert posted("tax:IN:CGST:INR") == posted("tax:IN:SGST:INR") == 152535
    assert posted("tax:IN:IGST:INR") == 305069


def test_a_back_order_is_taxed_from_where_its_units_finally_ship(world):
    """BAND2 has no stock in India: the line waits, priced as intra-state, and ships from Bengaluru
    to Maharashtra, so at the hand-over it is an inter-state supply."""
    order = order_in(world, sku="BAND2", shipping_state="IN-MH").json()
    assert order["status"] == "backordered"
    assert order["lines"][0]["tax_components"] == {"CGST": "152.47", "SGST": "152.47"}  # 1999 * 9/118
    world.receive("BAND2", "WH-IN-BLR", 1)
    inventory.fill_backorders(world.skus["BAND2"].pk)
    shipped = ship(world, order["number"])
    assert shipped["lines"][0]["tax_components"] == {"IGST": "304.93"}  # 1999 * 18/118 = 304.93
    assert Decimal(shipped["tax"]) == Decimal("304.93") and Decimal(shipped["total"]) == Decimal("1999.00")
    assert posted("tax:IN:IGST:INR") == 30493 and posted("tax:IN:CGST:INR") == 0


def test_a_sale_at_the_counter_is_intra_state(world):
    StaffMember.objects.create(user=world.users["cashier_bj"], store=world.stores["BLR-001"], role="cashier")
    serial = Location.objects.get(code="BLR-001").units.first().serial
    sold = world.client("cashier_bj").post(
        "/sales/pos/sales", {"store_code": "BLR-001", "serials": [serial], "payment_token": "tok_ok"}
    )
    assert sold.status_code == 201, sold.content
    assert sold.json()["lines"][0]["tax_components"] == {"CGST": "1525.35", "SGST": "1525.35"}
    assert posted("tax:IN:CGST:INR") == posted("tax:IN:SGST:INR") == 152535


@pytest.mark.parametrize("state", ["KA", "IN-XX", "CN-BJ", "in-ka", "IN-KA "])
def test_an_unknown_state_is_refused_and_changes_nothing(world, state):
    refused = order_in(world, shipping_state=state)
    assert refused.status_code == 422, refused.content
    assert refused.json()["error"] in ("unknown_state", "validation_error")
    assert not Order.objects.exists()
    assert world.skus["MI6-64"].stock.get(location_id=world.locations["WH-IN-BLR"]).reserved == 0


# --- totals and refunds, as properties ------------------------------------------------------------

rupees = st.integers(min_value=1, max_value=5_000_000).map(lambda p: Decimal(p).scaleb(-2))


@READ_ONLY
@given(
    lines=st.lists(st.tuples(rupees, st.integers(1, 5)), min_size=1, max_size=6),
    voucher=st.integers(min_value=0, max_value=500_000).map(lambda p: Decimal(p).scaleb(-2)),
)
def test_lines_and_tax_add_up_to_the_order_total_exactly(world, lines, voucher):
    priced = price_order(
        "IN",
        "INR",
        [LineInput(f"S{i}", q, price, "electronics") for i, (price, q) in enumerate(lines)],
        voucher,
    )
    assert priced.total == priced.subtotal - priced.discount
    assert sum(line.total - line.tax for line in priced.lines) + priced.tax == priced.total
    for line in priced.lines:
        assert line.tax_components["CGST"] == line.tax_components["SGST"]
        assert sum(line.tax_components.values()) == line.tax


@READ_ONLY
@given(total=rupees, quantity=st.integers(1, 20), data=st.data())
def test_a_line_split_between_states_keeps_equal_halves_and_sums_exactly(world, total, quantity, data):
    inter = data.draw(st.integers(0, quantity))
    tax, components, rates = line_tax("IN", "INR", "electronics", total, quantity, inter)
    assert sum(components.values()) == tax
    assert set(rates) == set(components)  # each amount with the rate it was computed at
    assert components.get("CGST") == components.get("SGST")
    assert ("IGST" in components) == (inter > 0) and ("CGST" in components) == (inter < quantity)


def partitions(quantity: int):
    """Ways to return ``quantity`` units in steps (each step at least one unit)."""
    return st.lists(st.integers(1, quantity), min_size=1).map(lambda steps: _fit(steps, quantity))


def _fit(steps: list[int], quantity: int) -> list[int]:
    out, left = [], quantity
    for step in steps:
        if left == 0:
            break
        out.append(min(step, left))
        left -= out[-1]
    return out + ([left] if left else [])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cgst_minor=st.integers(0, 10**9),
    igst_minor=st.integers(0, 10**9),
    quantity=st.integers(1, 30),
    data=st.data(),
)
def test_refunds_over_any_return_sequence_give_back_each_component_exactly(
    world, cgst_minor, igst_minor, quantity, data
):
    charged = {"CGST": Decimal(cgst_minor).scaleb(-2), "IGST": Decimal(igst_minor).scaleb(-2)}
    charged["SGST"] = charged["CGST"]
    steps = data.draw(partitions(quantity))
    refunded = dict.fromkeys(charged, Decimal(0))
    done = 0
    for step in steps:
        refund = {k: share_of(v, done, step, quantity, "INR") for k, v in charged.items()}
        assert refund["CGST"] == refund["SGST"]  # every credit note is legal on its own
        refunded = {k: refunded[k] + refund[k] for k in charged}
        done += step
    assert refunded == charged


@pytest.mark.parametrize("steps", [[1, 1, 1], [2, 1], [1, 2], [3]])
def test_partial_returns_refund_equal_halves_and_empty_the_tax_accounts(world, steps):
    order = order_in(world, quantity=3, shipping_state="IN-KA").json()
    shipped = ship(world, order["number"])
    line = shipped["lines"][0]
    serials = list(line["serials"])
    for step in steps:
        returned, serials = serials[:step], serials[step:]
        response = world.client("staff").post(
            f"/sales/orders/{order['number']}/returns",
            {
                "warehouse_code": "WH-IN-BLR",
                "lines": [{"line_id": line["id"], "quantity": step, "serials": returned}],
            },
        )
        assert response.status_code == 201, response.content
        assert posted("tax:IN:CGST:INR") == posted("tax:IN:SGST:INR")  # after every credit note
    assert posted("tax:IN:CGST:INR") == posted("tax:IN:SGST:INR") == posted("revenue:web:IN:INR") == 0
    assert Order.objects.get(number=order["number"]).refunded == Decimal(order["total"])


def test_a_line_named_twice_in_one_return_is_refunded_for_every_unit(world):
    order = order_in(world, quantity=2, shipping_state="IN-KA").json()
    line = ship(world, order["number"])["lines"][0]
    one, two = line["serials"]
    response = world.client("staff").post(
        f"/sales/orders/{order['number']}/returns",
        {
            "warehouse_code": "WH-IN-BLR",
            "lines": [
                {"line_id": line["id"], "quantity": 1, "serials": [one]},
                {"line_id": line["id"], "quantity": 1, "serials": [two]},
            ],
        },
    )
    assert response.status_code == 201, response.content
    assert Decimal(response.json()["refund_amount"]) == Decimal(order["total"])
    assert posted("tax:IN:CGST:INR") == posted("tax:IN:SGST:INR") == 0


def test_the_accountants_trial_balance_shows_each_gst_component_apart(world):
    ship(world, order_in(world, shipping_state="IN-KA").json()["number"])
    ship(world, order_in(world, shipping_state="IN-DL", user="bob").json()["number"])
    rows = {row.code: row for row in trial_balance(currency="INR").rows}
    assert rows["tax:IN:CGST:INR"].credit_balance == rows["tax:IN:SGST:INR"].credit_balance == 152535
    assert rows["tax:IN:IGST:INR"].credit_balance == 305069
    csv_text = "".join(trial_balance_csv(trial_balance(currency="INR")))
    assert "tax:IN:CGST:INR,CGST IN,liability,INR,0.00,1525.35" in csv_text
    assert "tax:IN:SGST:INR,SGST IN,liability,INR,0.00,1525.35" in csv_text
    assert "tax:IN:IGST:INR,IGST IN,liability,INR,0.00,3050.69" in csv_text
