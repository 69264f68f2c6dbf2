"""The executive page, its CSV and the API, as each role sees them."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from millet.accounts.actor import SYSTEM
from millet.core.errors import Unprocessable
from millet.core.refusals import GENERAL
from millet.insights import services as insights
from millet.insights.services import card, catch_up, create_goal, goal_cards, set_rate
from tests.insights.conftest import book


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"  # the visitor's market (CN) would pick Chinese
    return client


def _seed(people):
    today = timezone.now().date()
    create_goal(
        actor=SYSTEM, title="Revenue this year", metric="revenue", target=Decimal("1000000"),
        starts_on=today - timedelta(days=30), due_on=today + timedelta(days=30),
        owner_id=people["executive"][0].pk,
    )  # fmt: skip
    book("revenue:store:SH-001:CNY", 250_000_00, "CNY")
    book("revenue:store:MU-001:INR", 100_000_00, "INR")
    book("revenue:web:CN:CNY", 50_000_00, "CNY")
    catch_up()


def test_the_executive_sees_cards_drill_down_and_csv(people):
    _seed(people)
    client = _signed_in(people["executive"][0])
    page = client.get("/insights/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Revenue this year" in text and "¥310,000.00" in text  # 250,000 + 50,000 + 100,000 INR at 0.1
    assert "behind the straight line" in text
    assert '<path class="sparkline__actual" d="M' in text
    by_store = client.get(
        "/insights/", {"metric": "revenue", "by": "store", "start": "2000-01-01", "end": "2100-01-01"}
    )
    assert by_store.status_code == 422  # longer than ten years
    today = timezone.now().date().isoformat()
    answer = client.get(
        "/insights/", {"metric": "revenue", "by": "store", "start": today, "end": today, "format": "csv"}
    )
    rows = list(csv.DictReader(io.StringIO(answer.content.decode())))
    assert [(r["scope"], r["value"], r["currency"]) for r in rows] == [
        ("store:SH-001", "250000.00", "CNY"),
        ("store:MU-001", "100000.00", "INR"),
    ]
    goals = list(csv.DictReader(io.StringIO(client.get("/insights/goals.csv").content.decode())))
    assert goals[0]["actual"] == "310000.00" and "1 INR = 0.1" in goals[0]["rates"]


def test_roles_and_the_api(people):
    _seed(people)
    assert _signed_in(people["customer"][0]).get("/insights/").status_code == 403
    assert _signed_in(people["cashier"][0]).get("/insights/").status_code == 403
    manager = _signed_in(people["manager"][0])
    page = manager.get("/insights/")
    assert page.status_code == 200 and "Revenue this year" not in page.content.decode()
    assert manager.get("/insights/", {"by": "market", "metric": "revenue"}).status_code == 422
    api = _signed_in(people["executive"][0])
    goals = api.get("/api/insights/goals").json()
    assert goals[0]["actual"]["value"] == "310000.00" and goals[0]["status"] == "behind"
    assert manager.get(f"/api/insights/goals/{goals[0]['id']}").status_code == 404
    assert (
        api.post(
            "/api/insights/rates",
            {"currency": "INR", "valid_from": "2017-01-01", "rate": "0.1"},
            content_type="application/json",
        ).status_code
        == 403
    )
    metrics = api.get("/api/insights/metrics").json()
    assert {m["key"] for m in metrics} >= {
        "revenue",
        "orders",
        "average_order_value",
        "stores_open",
        "devices_connected",
    }
    today = timezone.now().date().isoformat()
    figures = api.get("/api/insights/figures", {"by": "channel", "start": today, "end": today}).json()
    assert [(f["name"], f["figure"]["value"]) for f in figures] == [
        ("store", "260000.00"),
        ("web", "50000.00"),
    ]


GOAL_KINDS = (
    ("revenue", "company", "", "USD"),
    ("revenue", "market", "IN", ""),
    ("average_order_value", "store", "SH-001", ""),
    ("return_rate", "channel", "store", ""),
    ("stores_open", "market", "CN", ""),
    ("orders", "store", "MU-001", ""),
    ("devices_connected", "company", "", ""),
)


def _goals(people, count: int) -> None:
    """``count`` goals over every metric shape and scope kind, with periods starting before, on and
    after the rollups' days."""
    today = timezone.now().date()
    owners = [people["executive"][0].pk, people["manager"][0].pk]
    for n in range(count):
        metric, kind, value, currency = GOAL_KINDS[n % len(GOAL_KINDS)]
        create_goal(
            actor=SYSTEM, title=f"Goal {n}", metric=metric, scope_kind=kind, scope_value=value,
            target=Decimal(1000 + n), currency=currency, starts_on=today - timedelta(days=n * 20),
            due_on=today + timedelta(days=30 - n), owner_id=owners[n % 2],
        )  # fmt: skip


def _queries(client, path: str) -> int:
    """Queries of ``path`` with no cards kept: the page's work whenever a figure has changed."""
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_the_cards_take_the_same_queries_at_any_number_of_goals(people):
    """Issue 13: the page answers in a constant number of queries; the goals' rollups in one, the
    rates once, the owners' names once, whatever the number of goals."""
    _seed(people)
    book("revenue:store:SH-001:CNY", -20_000_00, "CNY", timezone.now().date() - timedelta(days=3))
    catch_up()
    client = _signed_in(people["executive"][0])
    paths = ("/insights/", "/insights/goals.csv", "/api/insights/goals")
    _goals(people, 4)  # with the seeded one, 5
    for path in paths:
        client.get(path)  # the currencies' exponents and symbols are cached once per process
    few = {path: _queries(client, path) for path in paths}
    _goals(people, 15)
    assert {path: _queries(client, path) for path in paths} == few
    assert few["/insights/"] <= 15 and few["/insights/goals.csv"] <= 9, few  # the page: 6 are the layout's


def test_the_cards_in_one_batch_equal_each_card_alone(people):
    """``goal_cards`` reads all goals' rollups at once; each card equals ``card`` of that goal alone."""
    _seed(people)
    book("revenue:store:SH-001:CNY", -20_000_00, "CNY", timezone.now().date() - timedelta(days=3))
    catch_up()
    _goals(people, 20)
    cards = goal_cards(actor=people["executive"][1])
    assert len(cards) == 21
    assert cards == [card(c.goal, owner=c.owner) for c in cards]


def _cards_part(client) -> str:
    page = client.get("/insights/").content.decode()
    return page[page.index('id="goals-heading"') : page.index('id="drill-heading"')]


def test_the_page_keeps_its_cards_until_a_figure_a_goal_or_a_rate_changes(people):
    """The cards' HTML is kept per figures' version: a second visit reads neither goals nor rollups,
    and a new posting caught up, a goal set or a rate entered shows at once (no stale card)."""
    _seed(people)
    client = _signed_in(people["executive"][0])
    cache.clear()
    first = _cards_part(client)
    assert "¥310,000.00" in first
    today = timezone.now().date()
    by_channel = {"metric": "revenue", "by": "channel", "start": today, "end": today}
    assert "¥50,000.00" in client.get("/insights/", by_channel).content.decode()
    with CaptureQueriesContext(connection) as kept:
        assert _cards_part(client) == first
        assert "¥50,000.00" in client.get("/insights/", by_channel).content.decode()
    assert not any(
        "insights_goal" in q["sql"] or "insights_rollup" in q["sql"] for q in kept.captured_queries
    )
    book("revenue:web:CN:CNY", 10_000_00, "CNY")
    catch_up()
    assert "¥320,000.00" in _cards_part(client)
    assert "¥60,000.00" in client.get("/insights/", by_channel).content.decode()
    create_goal(
        actor=SYSTEM, title="Orders this month", metric="orders", target=Decimal(10),
        starts_on=today - timedelta(days=5), due_on=today + timedelta(days=25),
        owner_id=people["executive"][0].pk,
    )  # fmt: skip
    assert "Orders this month" in _cards_part(client)
    set_rate(actor=SYSTEM, currency="INR", valid_from=today - timedelta(days=1), rate=Decimal("0.2"))
    assert "¥330,000.00" in _cards_part(client)  # 100,000 INR now at 0.2
    client.cookies["django_language"] = "de"
    assert "330.000,00" in _cards_part(client)  # each language its own cards


def _kept_page_queries(client) -> list[str]:
    """The queries of ``/insights/`` once its cards and drill-down are kept (a second visit)."""
    assert client.get("/insights/").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/insights/").status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def test_a_kept_page_reads_the_layout_once_and_the_figures_version(people):
    """Issue 13: with its parts kept, the executive page costs the session, the user, the viewer's
    store jobs and groups (read once, for the view and the layout's menu alike), the figures' version,
    the header's cart count and the menu's flash sales; a manager's, the store codes they see too."""
    _seed(people)
    executive = _kept_page_queries(_signed_in(people["executive"][0]))
    assert len(executive) <= 7, executive
    assert sum("stores_staffmember" in sql for sql in executive) == 1
    assert sum('FROM "auth_group"' in sql for sql in executive) == 1
    manager = _kept_page_queries(_signed_in(people["manager"][0]))
    assert len(manager) <= 8, manager


@pytest.mark.django_db(transaction=True)
def test_with_redis_a_kept_page_leaves_the_cart_and_flash_sales_to_the_cache(people, require_shared_cache):
    """With Redis the session, the header's cart count and the menu's flash sales are read from it:
    4 queries."""
    _seed(people)
    executive = _kept_page_queries(_signed_in(people["executive"][0]))
    assert len(executive) <= 4, executive
    assert not any(
        table in sql for sql in executive for table in ("django_session", "sales_cart", "flashsale_campaign")
    )


def test_a_goal_past_its_due_date_and_short_says_missed_not_behind(people):
    _seed(people)
    today = timezone.now().date()
    create_goal(
        actor=SYSTEM, title="Last year's revenue", metric="revenue", target=Decimal("1000000"),
        starts_on=today - timedelta(days=400), due_on=today - timedelta(days=35),
        owner_id=people["executive"][0].pk,
    )  # fmt: skip
    text = _signed_in(people["executive"][0]).get("/insights/").content.decode()
    past = text[text.index("Last year&#x27;s revenue") :]
    past = past[: past.index("</article>")] if "</article>" in past else past
    assert ">Missed<" in past and ">Behind<" not in past
    assert "short on the due date" in past


def test_the_default_views_csv_link_answers_the_default_question(people):
    """The drill-down's CSV link on the page as first opened is ``?format=csv``: it answered 422
    ("this field is required" four times) instead of the figures shown. Any parameter that asks
    nothing (a campaign tag) leaves the default question too."""
    _seed(people)
    client = _signed_in(people["executive"][0])
    answer = client.get("/insights/", {"format": "csv"})
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode())))
    assert [(r["scope"], r["value"], r["currency"]) for r in rows] == [
        ("market:CN", "300000.00", "CNY"),
        ("market:IN", "100000.00", "INR"),
    ]
    today, month_ago = timezone.now().date(), timezone.now().date() - timedelta(days=29)
    link = f"?metric=revenue&amp;by=market&amp;start={month_ago}&amp;end={today}&amp;format=csv"
    assert link in client.get("/insights/").content.decode()
    tagged = client.get("/insights/", {"utm_source": "letter"})
    assert tagged.status_code == 200 and link in tagged.content.decode()  # the question, not the tag
    assert client.get("/insights/", {"start": "2016-01-01"}).status_code == 422  # half a question


@pytest.mark.parametrize(
    ("language", "question", "says"),
    [
        ("en", {"by": "model"}, "Revenue has no breakdown by “Device model”."),
        ("zh-hans", {"start": "2017-01-01"}, "结束日期不能早于开始日期"),
        ("de", {"end": "2100-01-01"}, "höchstens zehn Jahre später"),
    ],
)
def test_a_question_the_figures_cannot_answer_is_told_in_the_pages_language(people, language, question, says):
    """The period and the breakdown were checked by the service only, whose English words (with the
    metric's key: "revenue has no breakdown by model") showed on a Chinese page."""
    client = _signed_in(people["executive"][0])
    client.cookies["django_language"] = language
    asked = {"metric": "revenue", "by": "store", "start": "2016-01-01", "end": "2016-12-31"} | question
    page = client.get("/insights/", asked)
    assert page.status_code == 422
    assert says in page.content.decode()


def test_any_other_refusal_of_the_question_is_said_in_general_words_not_the_services_english(
    people, monkeypatch
):
    """A refusal the form has no words for showed the service's English detail on the page."""

    def refuse(**question):
        raise Unprocessable("unknown metric 'revenue'", code="unknown_metric")

    monkeypatch.setattr(insights, "drill_down", refuse)
    client = _signed_in(people["executive"][0])
    client.cookies["django_language"] = "zh-hans"
    asked = {"metric": "revenue", "by": "store", "start": "2016-01-01", "end": "2016-12-31"}
    page = client.get("/insights/", asked)
    assert page.status_code == 422 and "unknown metric" not in page.content.decode()
    with translation.override("zh-hans"):
        assert str(GENERAL) in page.content.decode()


def test_the_breakdown_by_store_says_mi_home_store_in_chinese(people):
    """ "Store" is the web store (商城) in the menu's catalog, which Django's merged catalogs chose
    over insights' 门店 in the drill-down's "By" list."""
    client = _signed_in(people["manager"][0])
    client.cookies["django_language"] = "zh-hans"
    text = client.get("/insights/").content.decode()
    assert '<option value="store" selected>门店</option>' in text


def test_the_goals_csv_says_reached_names_the_rates_currency_and_runs_no_formula(people):
    _seed(people)
    today = timezone.now().date()
    create_goal(
        actor=SYSTEM, title='=HYPERLINK("http://evil.example","Click")', metric="stores_open",
        target=Decimal(1), starts_on=today - timedelta(days=30), due_on=today + timedelta(days=30),
        owner_id=people["executive"][0].pk,
    )  # fmt: skip
    answer = _signed_in(people["executive"][0]).get("/insights/goals.csv")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode())))
    revenue, stores = sorted(rows, key=lambda r: r["metric"])
    assert stores["goal"] == '\'=HYPERLINK("http://evil.example","Click")'
    assert (stores["actual"], stores["reached"]) == ("3", "true")
    assert (revenue["status"], revenue["reached"]) == ("behind", "false")
    assert revenue["rates"] == "1 INR = 0.1 CNY (from 2016-01-01)"


def test_one_goal_through_the_api_names_its_owner_as_the_list_does(people):
    _seed(people)
    client = _signed_in(people["executive"][0])
    (listed,) = client.get("/api/insights/goals").json()
    alone = client.get(f"/api/insights/goals/{listed['id']}").json()
    assert alone["owner"] == listed["owner"] == "lei"
    assert alone == listed
