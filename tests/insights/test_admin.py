"""The back office's exchange rates obey ``set_rate``'s rules, and a made rate stays its currency's."""

from __future__ import annotations

from decimal import Decimal

from millet.insights.models import ExchangeRate


def test_a_rate_keeps_its_currency_once_made(company, admin_client):
    """The rate's number is in its currency: moved from INR to USD, 0.1 would price each dollar of
    the period at 0.1 yuan."""
    rate = ExchangeRate.objects.get(currency="INR")
    response = admin_client.post(
        f"/admin/insights/exchangerate/{rate.pk}/change/",
        {"currency": "USD", "valid_from": "2016-02-01", "rate": "0.11", "note": "corrected"},
    )
    assert response.status_code == 302, response.content
    rate.refresh_from_db()
    assert (rate.currency, str(rate.valid_from), rate.rate) == ("INR", "2016-02-01", Decimal("0.11"))


def test_an_insights_forms_refusal_is_in_the_admins_language(company, admin_client):
    """The rate form showed the service's English detail ('a rate is a positive decimal ...') in a
    Chinese admin."""
    admin_client.cookies["django_language"] = "zh-hans"
    response = admin_client.post(
        "/admin/insights/exchangerate/add/",
        {"currency": "USD", "valid_from": "2017-01-01", "rate": "-6.95", "note": ""},
    )
    said = response.content.decode()
    assert response.status_code == 200 and "汇率为小于 10,000,000,000 的正数，最多 10 位小数。" in said
    assert "a rate is a positive decimal" not in said


def test_a_new_rate_is_entered_for_its_currency(company, admin_client):
    response = admin_client.post(
        "/admin/insights/exchangerate/add/",
        {"currency": "USD", "valid_from": "2017-01-01", "rate": "6.95", "note": ""},
    )
    assert response.status_code == 302, response.content
    assert ExchangeRate.objects.get(currency="USD", valid_from="2017-01-01").rate == Decimal("6.95")
