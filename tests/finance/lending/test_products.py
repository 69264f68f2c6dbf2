"""A loan product obeys one set of rules however it is made: the API, a Python caller or the back
office's change form (``lending.check_product``). The back office once saved whatever the model
fields allowed: a 90% APR above the 36% cap, terms of 0 or 1000 months or of text, a negative late
fee the daily job would book, a currency the platform does not have, charge-off after 0 days."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from millet.accounts.actor import SYSTEM
from millet.core.errors import Unprocessable
from millet.lending import services as lending
from millet.lending.models import LoanProduct

pytestmark = pytest.mark.django_db

FORM = {
    "code": "CN-EASY",
    "name": "Mi Easy Pay",
    "currency": "CNY",
    "apr": "0.1800",
    "terms": "[3, 6, 12]",
    "late_fee": "30.00",
    "grace_days": "5",
    "charge_off_days": "180",
    "min_amount": "100.00",
    "max_amount": "50000.00",
    "is_active": "on",
}


def back_office(world) -> Client:
    user = world.users["staff"]
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.mark.parametrize(
    "change",
    [
        {"apr": "0.9000"},
        {"terms": "[0]"},
        {"terms": "[1000]"},
        {"terms": '["a"]'},
        {"terms": "[6.5]"},
        {"late_fee": "-5.00"},
        {"currency": "XYZ"},
        {"charge_off_days": "0"},
        {"grace_days": "400"},
    ],
)
def test_the_back_office_cannot_save_a_product_the_api_would_refuse(credit, change):
    product = LoanProduct.objects.get(code="CN-EASY")
    before = LoanProduct.objects.filter(pk=product.pk).values().get()
    answer = back_office(credit).post(f"/admin/lending/loanproduct/{product.pk}/change/", {**FORM, **change})
    assert answer.status_code == 200 and "errornote" in answer.content.decode()
    assert LoanProduct.objects.filter(pk=product.pk).values().get() == before


def test_a_lending_forms_refusal_is_in_the_admins_language(credit):
    """The product form showed the service's English detail ('apr must be a decimal between 0 and
    0.36') in a German admin: now the lending words, with the cap from the refusal."""
    product = LoanProduct.objects.get(code="CN-EASY")
    browser = back_office(credit)
    browser.cookies["django_language"] = "de"
    for change, words, detail in [
        ({"apr": "0.9000"}, "Der effektive Jahreszins ist eine Dezimalzahl von 0 bis 0.36.", "apr must be"),
        ({"grace_days": "400"}, "Die Karenztage liegen zwischen 0 und 60.", "grace_days must be"),
    ]:
        answer = browser.post(f"/admin/lending/loanproduct/{product.pk}/change/", {**FORM, **change})
        assert words in answer.content.decode() and detail not in answer.content.decode()


def test_the_back_office_saves_a_sound_product(credit):
    product = LoanProduct.objects.get(code="CN-EASY")
    change = {"apr": "0.2000", "terms": "[12, 6, 6]", "late_fee": "0"}
    answer = back_office(credit).post(f"/admin/lending/loanproduct/{product.pk}/change/", {**FORM, **change})
    assert answer.status_code == 302
    product.refresh_from_db()
    assert (product.apr, product.terms, product.late_fee) == (Decimal("0.2000"), [6, 12], Decimal("0.00"))


@pytest.mark.parametrize(
    "change, code",
    [
        ({"charge_off_days": 0}, "invalid_charge_off_days"),
        ({"grace_days": -1}, "invalid_grace_days"),
        ({"late_fee": Decimal("-1")}, "malformed_money"),
        ({"terms": [True]}, "invalid_terms"),
    ],
)
def test_create_product_refuses_what_the_api_refuses(credit, change, code):
    base = dict(
        code="CN-X",
        name="X",
        currency="CNY",
        apr=Decimal("0.1"),
        terms=[6],
        late_fee=Decimal("1"),
        min_amount=Decimal("1"),
        max_amount=Decimal("10"),
    )
    with pytest.raises(Unprocessable) as refused:
        lending.create_product(SYSTEM, **{**base, **change})
    assert refused.value.code == code and not LoanProduct.objects.filter(code="CN-X").exists()


def test_a_product_that_has_lent_keeps_its_currency(credit):
    """Its late fee is booked in its loans' currency: a CNY product turned EUR would charge its CNY
    loans a EUR fee as CNY. Once it has lent, the currency is read-only; its other terms still edit."""
    from tests.finance.lending.conftest import apply, placed_order

    apply(credit, placed_order(credit))
    product = LoanProduct.objects.get(code="CN-EASY")
    answer = back_office(credit).post(
        f"/admin/lending/loanproduct/{product.pk}/change/", {**FORM, "currency": "EUR", "late_fee": "20.00"}
    )
    assert answer.status_code == 302
    product.refresh_from_db()
    assert (product.currency, product.late_fee) == ("CNY", Decimal("20.00"))
