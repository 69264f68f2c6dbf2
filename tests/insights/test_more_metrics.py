"""Returns and the return rate from the ledger's refunds; devices activated per day from the device
cloud (issue 13's second list of metrics)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from millet.devices import services as devices
from millet.insights.metrics import METRICS
from millet.insights.models import Rollup
from millet.insights.services import breakdown, catch_up, rebuild, trend
from tests.devices.conftest import fleet  # noqa: F401  (sold cameras that have an identity)


def test_returns_and_the_return_rate_per_scope(company):
    for _ in range(4):
        company("revenue:store:SH-001:CNY", 100_00, "CNY")
    company("revenue:store:SH-001:CNY", -50_00, "CNY")  # a partial refund is one return
    company("revenue:web:IN:INR", 80_00, "INR")
    catch_up()
    today = timezone.now().date()
    assert trend(METRICS["returns"], "store:SH-001", today, today).figure.value == 1
    rate = trend(METRICS["return_rate"], "store:SH-001", today, today).figure
    assert (rate.value, rate.currency) == (Decimal("25.0"), "")  # 1 refund per 4 sales
    assert trend(METRICS["return_rate"], "company", today, today).figure.value == Decimal("20.0")
    rows = breakdown(METRICS["return_rate"], "market", today, today)
    assert [(r.name, r.figure.value) for r in rows] == [("CN", Decimal("25.0")), ("IN", Decimal("0.0"))]


def test_the_page_writes_a_rate_as_a_percentage(company, people, client):
    company("revenue:store:SH-001:CNY", 100_00, "CNY")
    company("revenue:store:SH-001:CNY", 100_00, "CNY")
    company("revenue:store:SH-001:CNY", 100_00, "CNY")
    company("revenue:store:SH-001:CNY", -10_00, "CNY")
    catch_up()
    client.force_login(people["executive"][0])
    client.cookies["django_language"] = "en"  # the visitor's market (CN) would pick Chinese
    today = timezone.now().date().isoformat()
    question = {"metric": "return_rate", "by": "store", "start": today, "end": today}
    page = client.get("/insights/", question)
    assert page.status_code == 200
    assert "33.3 %" in page.content.decode()
    client.cookies["django_language"] = "zh-hans"
    assert "33.3%" in client.get("/insights/", question).content.decode()


def test_devices_activated_per_day_and_rebuilt_alike(fleet):  # noqa: F811
    first, second = fleet.sell("alice", 2)
    yesterday = timezone.now() - timedelta(days=1)
    devices.set_presence(first.device_id, True, yesterday)
    devices.set_presence(second.device_id, True, timezone.now())
    catch_up()
    activated = METRICS["devices_activated"]
    today = timezone.now().date()
    assert trend(activated, "company", today, today).figure.value == 1
    assert trend(activated, "company", today - timedelta(days=1), today).figure.value == 2
    live = set(Rollup.objects.values_list("series", "scope", "day", "currency", "amount"))
    rebuild()
    assert set(Rollup.objects.values_list("series", "scope", "day", "currency", "amount")) == live
