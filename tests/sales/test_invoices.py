"""Each market's invoice PDF, read back as text (pypdf): India's GST tax invoice (GSTIN, HSN,
place of supply, CGST + SGST within a state or IGST between states), China's VAT per line, and
Germany's VAT with German labels. The amounts printed are the order's own, to the paisa."""

from __future__ import annotations

import io
import os
import unicodedata
from decimal import Decimal

import pytest
from django.test import Client
from pypdf import PdfReader

from millet.accounts.actor import SYSTEM, actor_for_user
from millet.catalog import services as catalog
from millet.inventory import services as inventory
from millet.sales import services
from millet.sales.invoice_pdf import SCRIPT_FAMILY, installed, latin1, render_invoice
from tests.sales.test_after_sale import sellers  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def text_of(pdf: bytes) -> str:
    """The PDF's text as pypdf reads it back, less the control characters it reads for glyphs that
    stand for no character of their own (Devanagari's shaped conjunct parts, spacing in CJK runs)."""
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) != "Cc")


def needs_fonts(language: str) -> None:
    """The invoice in Hindi or Chinese needs Debian's Noto fonts (scripts/services.sh installs them):
    skipped on a developer's machine without them, a failure on CI."""
    missing = [f for f in ("Noto Sans", SCRIPT_FAMILY[language][0]) if not installed(f)]
    if missing and not os.environ.get("CI"):
        pytest.skip(f"fonts not installed: {missing}")
    assert not missing, f"fonts not installed: {missing}"


def shipped(world, market: str, **extra):
    alice, staff = actor_for_user(world.users["alice"]), actor_for_user(world.users["staff"])
    order = services.place_order(
        alice, market=market, lines=[services.LineRequest("MI6-64", 1)], payment_token="tok_ok", **extra
    )
    services.fulfil_order(staff, order.number, carrier="Blue Dart", tracking_number="BD1")
    return services.invoice_for(alice, order.number)


@pytest.mark.usefixtures("sellers")
def test_an_invoice_names_the_seller_as_it_was_when_the_goods_were_supplied(world, admin_client):
    """Invoices read the seller's details when they were rendered, so an address or registration
    changed in the back office rewrote every invoice already issued. Each keeps the version of its
    supply date (``SellerVersion``); the back office's form records the change."""
    from millet.sales.models import Seller

    issued = shipped(world, "IN", shipping_state="IN-KA")
    seller = (issued.seller.legal_name, issued.seller.address)
    assert seller == ("Millet Technology India Pvt. Ltd.", "1 Main St")
    changed = admin_client.post(
        f"/admin/sales/seller/{Seller.objects.get(market='IN').pk}/change/",
        {
            "market": "IN",
            "legal_name": "Millet India Ltd.",
            "address": "Whitefield, Bengaluru 560066",
            "tax_id": "29AAHCM9999K1ZB",
            "state": "IN-KA",
        },
    )
    assert changed.status_code == 302, changed.content
    later = shipped(world, "IN", shipping_state="IN-KA")
    assert (later.seller.legal_name, later.seller.tax_id) == ("Millet India Ltd.", "29AAHCM9999K1ZB")
    again = services.invoice_for(actor_for_user(world.users["alice"]), issued.number)
    assert again.seller == issued.seller
    assert "GSTIN: 29AAHCM4321K1ZA" in text_of(render_invoice(again, "en"))


@pytest.mark.usefixtures("sellers")
def test_india_within_a_state_is_a_gst_tax_invoice_with_cgst_and_sgst(world):
    invoice = shipped(world, "IN", shipping_state="IN-KA")
    text = text_of(render_invoice(invoice, "en"))
    for expected in (
        "Tax invoice",
        "Millet Technology India Pvt. Ltd.",
        "GSTIN: 29AAHCM4321K1ZA",
        "Place of supply: Karnataka (29)",
        "85171300",  # HSN of a smartphone
        "Paid by: Card",
        "Bill to: alice",
        invoice.number,
    ):
        assert expected in text, expected
    line = invoice.lines[0]
    assert set(line.tax) == {"CGST", "SGST"} and line.tax["CGST"] == line.tax["SGST"]
    assert line.taxable + line.tax["CGST"] + line.tax["SGST"] == Decimal("19999.00")
    assert f"{line.taxable:,.2f}".replace(",", "") in text.replace(",", "")  # 16,948.30 in lakh grouping
    assert "1,525.35 (9%)" in text  # each component with its rate
    assert "19,999.00 INR" in text
    assert "IGST" not in text


@pytest.mark.usefixtures("sellers")
def test_india_between_states_carries_igst(world):
    invoice = shipped(world, "IN", shipping_state="IN-MH")
    text = text_of(render_invoice(invoice, "en"))
    assert "Place of supply: Maharashtra (27)" in text
    assert set(invoice.lines[0].tax) == {"IGST"}
    assert "3,050.69 (18%)" in text
    assert "CGST" not in text and "SGST" not in text


@pytest.mark.usefixtures("sellers")
def test_india_in_hindi_has_hindi_labels_in_devanagari(world):
    needs_fonts("hi")
    invoice = shipped(world, "IN", shipping_state="IN-KA")
    text = text_of(render_invoice(invoice, "hi"))
    for expected in (
        "कर बीजक",  # Tax invoice
        "बीजक संख्या",  # Invoice number
        "आपूर्ति का स्थान",  # Place of supply
        "कर योग्य मूल्य",  # Taxable value
        "भुगतान का तरीक़ा: कार्ड",  # Paid by: Card
        "GSTIN: 29AAHCM4321K1ZA",
        "Karnataka (29)",
        "19,999.00 INR",
        invoice.number,
    ):
        assert expected in text, expected
    assert "Tax invoice" not in text


@pytest.mark.usefixtures("sellers")
def test_china_shows_vat_per_line_and_no_gst_fields(world):
    invoice = shipped(world, "CN")
    text = text_of(render_invoice(invoice, "en"))
    assert "Invoice" in text and "Taxpayer ID: 91110108MA01XYZ12K" in text
    assert "287.50 (13%)" in text  # 2499 * 0.13 / 1.13, half-up
    assert "2,499.00 CNY" in text
    assert "HSN" not in text and "Place of supply" not in text


@pytest.mark.usefixtures("sellers")
def test_china_in_chinese_has_chinese_labels(world):
    needs_fonts("zh-hans")
    invoice = shipped(world, "CN")
    # pypdf reads CJK glyphs back with gaps between them: compare without spaces.
    text = "".join(text_of(render_invoice(invoice, "zh-hans")).split())
    # Invoice, its number, taxable value, paid by card:
    labels = ("发票", "发票号码", "计税金额", "支付方式:银行卡")
    for expected in (*labels, "91110108MA01XYZ12K", "287.50(13%)", "2,499.00CNY"):
        assert expected in text, expected
    assert "Invoice" not in text


@pytest.mark.usefixtures("sellers")
def test_germany_has_vat_and_german_labels(world):
    location = inventory.create_location(
        code="WH-DE-BER",
        name="Berlin",
        kind="warehouse",
        market="DE",
        city="Berlin",
        latitude=Decimal("52.52"),
        longitude=Decimal("13.40"),
    )
    world.locations["WH-DE-BER"] = location.pk
    world.receive("MI6-64", "WH-DE-BER", 2)
    catalog.set_price("DE", "MI6-64", Decimal("1234.56"), actor=SYSTEM)
    invoice = shipped(world, "DE")
    text = text_of(render_invoice(invoice, "de"))
    for expected in (
        "Rechnung",
        "USt-IdNr.: DE312345678",
        "Millet Europe GmbH",
        "1.234,56 EUR",
        "197,11 (19",
    ):
        assert expected in text, expected


@pytest.mark.usefixtures("sellers")
def test_the_invoice_page_serves_the_buyers_pdf_and_no_one_elses(world):
    invoice = shipped(world, "CN")
    alice, bob = Client(), Client()
    alice.force_login(world.users["alice"])
    bob.force_login(world.users["bob"])
    response = alice.get(f"/orders/{invoice.number}/invoice.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert invoice.number in text_of(response.content)
    assert bob.get(f"/orders/{invoice.number}/invoice.pdf").status_code == 404
    unpaid = services.place_order(
        actor_for_user(world.users["alice"]), market="CN", lines=[services.LineRequest("MI6-64", 1)]
    )
    assert alice.get(f"/orders/{unpaid.number}/invoice.pdf").status_code == 404  # nothing sold yet
    paid = services.place_order(
        actor_for_user(world.users["alice"]),
        market="CN",
        lines=[services.LineRequest("MI6-64", 1)],
        payment_token="tok_ok",
    )
    assert alice.get(f"/orders/{paid.number}/invoice.pdf").status_code == 200
    services.cancel_order(actor_for_user(world.users["alice"]), paid.number)
    assert alice.get(f"/orders/{paid.number}/invoice.pdf").status_code == 404  # cancelled: nothing was sold


def test_text_helvetica_cannot_draw_is_folded_not_dropped():
    assert latin1("Redmi Note 5 Pro — “Black”, Dādra, Müller") == 'Redmi Note 5 Pro - "Black", Dadra, Müller'
    assert latin1("小米") == "??"  # what Helvetica cannot draw at all shows as "?", never as a crash


def raise_gst_to_28_percent() -> None:
    """India moves the phone's class to another slab: 28 % (14 % + 14 %, IGST 28 %)."""
    from millet.regions.services import define_tax_rule

    define_tax_rule(
        "IN",
        "electronics",
        "GST",
        Decimal("0.28"),
        {"CGST": Decimal("0.14"), "SGST": Decimal("0.14")},
        inter_state_components={"IGST": Decimal("0.28")},
    )


@pytest.mark.usefixtures("sellers")
def test_an_invoice_prints_the_rates_applied_at_the_sale_after_the_rule_changes(world):
    """Invoices printed each component's rate from the market's rule of the day they were read, so
    a GST slab change put 14 % beside every old 9 % amount (Rule 46(m), 2006/112/EC art. 226(9):
    the invoice states the rate applied). Each line keeps the rates its amounts were computed at."""
    alice = actor_for_user(world.users["alice"])
    within, between = (
        shipped(world, "IN", shipping_state="IN-KA"),
        shipped(world, "IN", shipping_state="IN-MH"),
    )
    raise_gst_to_28_percent()
    for issued, rates in ((within, {"CGST": "0.09", "SGST": "0.09"}), (between, {"IGST": "0.18"})):
        again = services.invoice_for(alice, issued.number)
        assert again.lines == issued.lines  # the same amounts, and the same rates beside them
        assert again.lines[0].rates == {k: Decimal(v) for k, v in rates.items()}
    text = text_of(render_invoice(services.invoice_for(alice, within.number), "en"))
    assert "1,525.35 (9%)" in text and "(14%)" not in text
    text = text_of(render_invoice(services.invoice_for(alice, between.number), "en"))
    assert "3,050.69 (18%)" in text and "(28%)" not in text
    later = shipped(world, "IN", shipping_state="IN-KA")  # a sale under the new rule shows it
    assert later.lines[0].rates == {"CGST": Decimal("0.14"), "SGST": Decimal("0.14")}
    assert "(14%)" in text_of(render_invoice(later, "en"))


@pytest.mark.usefixtures("sellers")
def test_a_till_sale_s_invoice_keeps_its_rate(world):
    from millet.regions.services import define_tax_rule
    from tests.sales.test_till_scans import shelf

    cashier = actor_for_user(world.users["cashier_sh"])
    sale = services.pos_sale(
        cashier, store_code="SH-001", serials=shelf(world, "MI6-64")[:1], payment_token="tok_ok"
    )
    issued = services.invoice_for(cashier, sale.number)
    define_tax_rule("CN", "electronics", "VAT", Decimal("0.17"))
    again = services.invoice_for(cashier, sale.number)
    assert again.lines == issued.lines and again.lines[0].rates == {"VAT": Decimal("0.1300")}
    text = text_of(render_invoice(again, "en"))
    assert "287.50 (13%)" in text and "(17%)" not in text


@pytest.mark.usefixtures("sellers")
def test_a_flash_sale_order_s_invoice_keeps_its_rate(world):
    from django.utils import timezone

    from millet.regions.services import define_tax_rule

    alice, staff = actor_for_user(world.users["alice"]), actor_for_user(world.users["staff"])
    offer = services.FlashOffer("CN", "MI6-64", Decimal("1999.00"), world.locations["WH-CN-SH"], "flash:t")
    services.set_aside_units(staff, offer, 1)
    claim = services.FlashClaim("claim-1", world.users["alice"].pk, timezone.now())
    number = services.place_flash_orders(staff, offer, [claim])["claim-1"]
    services.pay_order(alice, number, payment_token="tok_ok")
    services.fulfil_order(staff, number, carrier="SF Express", tracking_number="SF1")
    issued = services.invoice_for(alice, number)
    define_tax_rule("CN", "electronics", "VAT", Decimal("0.17"))
    again = services.invoice_for(alice, number)
    assert again.lines == issued.lines and again.lines[0].rates == {"VAT": Decimal("0.1300")}
    assert "229.97 (13%)" in text_of(render_invoice(again, "en"))  # 1999 * 0.13 / 1.13, half-up


@pytest.mark.django_db(transaction=True)  # migrations run outside a test's transaction
def test_migration_0017_gives_the_lines_before_it_todays_rates(world, migrate):
    """Lines written before 0017 kept no rates: the rules as they stand are the best record there is.
    A component today's rule does not have gets no rate (its amount is printed without one)."""
    from millet.sales.models import OrderLine

    alice = actor_for_user(world.users["alice"])

    def bought(market: str, **extra) -> OrderLine:
        order = services.place_order(
            alice, market=market, lines=[services.LineRequest("MI6-64", 1)], payment_token="tok_ok", **extra
        )
        return OrderLine.objects.get(order_id=order.pk)

    within, between, china = (
        bought("IN", shipping_state="IN-KA"),
        bought("IN", shipping_state="IN-MH"),
        bought("CN"),
    )
    OrderLine.objects.filter(pk=china.pk).update(tax_components={"VAT": "287.50", "CESS": "1.00"})
    migrate(("sales", "0016_seller_versions"))
    migrate(("sales", "0017_order_line_tax_rates"))
    rates = {
        pk: {k: Decimal(v) for k, v in kept.items()}
        for pk, kept in OrderLine.objects.values_list("pk", "tax_rates")
    }
    assert rates[within.pk] == {"CGST": Decimal("0.09"), "SGST": Decimal("0.09")}
    assert rates[between.pk] == {"IGST": Decimal("0.18")}
    assert rates[china.pk] == {"VAT": Decimal("0.13")}
