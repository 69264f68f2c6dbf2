"""The back-office screens load, search and filter, and move openings only through the service."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from millet.stores.models import ExpansionGoal, PlannedOpening
from tests.stores.conftest import make_person


@pytest.fixture
def admin_client_(network) -> Client:
    boss = make_person("boss", is_staff=True)
    boss.user.is_superuser = True
    boss.user.save()
    client = Client()
    client.force_login(boss.user)
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/admin/stores/store/?q=Shanghai&market__code__exact=CN",
        "/admin/stores/staffmember/?role__exact=manager&q=mgr",
        "/admin/stores/expansiongoal/",
        "/admin/stores/plannedopening/?stage__exact=scouting",
    ],
)
def test_changelists_load(admin_client_, path):
    assert admin_client_.get(path).status_code == 200


def test_store_change_page_shows_staff_and_a_store_is_added_through_open_store(admin_client_, network):
    html = admin_client_.get(f"/admin/stores/store/{network.sh.pk}/change/").content.decode()
    assert "mgr-sh" in html
    add = admin_client_.get("/admin/stores/store/add/").content.decode()
    # open_store's form (it makes the stock location with the store), not the model's own fields
    assert 'name="opens"' in add and 'name="location"' not in add


def test_admin_actions_follow_the_stage_rules(admin_client_, network):
    opening = PlannedOpening.objects.create(
        market_id="CN", city="Xiamen", name="Xiamen", target_date=date(2017, 8, 1)
    )
    changelist = "/admin/stores/plannedopening/"
    admin_client_.post(changelist, {"action": "move_to_signed", "_selected_action": [opening.pk]})
    opening.refresh_from_db()
    assert opening.stage == "signed"
    admin_client_.cookies["django_language"] = "de"  # said in the admin's language, not the service's English
    response = admin_client_.post(
        changelist, {"action": "move_to_signed", "_selected_action": [opening.pk]}, follow=True
    )
    assert "Seine Phase kann nicht in diese wechseln." in response.content.decode()
    assert "cannot move to signed" not in response.content.decode()
    opening.refresh_from_db()
    assert opening.stage == "signed"


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"target_store_count": "0"}, "A goal needs more than 0 stores and a start before its target date."),
        ({"starts_on": "2031-01-01"}, "A goal needs more than 0 stores and a start before its target date."),
        ({"starts_on": "2030-12-31"}, "A goal needs more than 0 stores and a start before its target date."),
    ],
)
def test_an_expansion_goal_set_in_the_back_office_obeys_the_service_rules(admin_client_, fields, words):
    """The add and change forms check a goal as ``set_expansion_goal`` does: a target of 0 stores
    was saved and showed "on track" for ever, a start after the due date counted no store."""
    body = {
        "market": "CN",
        "target_store_count": "200",
        "target_date": "2030-12-31",
        "description": "200 more",
    }
    answer = admin_client_.post("/admin/stores/expansiongoal/add/", {**body, **fields})
    assert answer.status_code == 200 and words in answer.content.decode()
    assert not ExpansionGoal.objects.exists()
    assert admin_client_.post("/admin/stores/expansiongoal/add/", body).status_code == 302
    goal = ExpansionGoal.objects.get()
    changed = admin_client_.post(f"/admin/stores/expansiongoal/{goal.pk}/change/", {**body, **fields})
    assert changed.status_code == 200 and words in changed.content.decode()
    goal.refresh_from_db()
    assert goal.target_store_count == 200 and goal.starts_on is None


def test_a_stores_forms_refusal_is_in_the_admins_language(admin_client_, network):
    """The goal form and the opening hours showed the service's English detail ('a goal needs a
    positive store count', 'mon: opening and closing times are the same') in a Chinese or Hindi admin."""
    admin_client_.cookies["django_language"] = "zh-hans"
    body = {"market": "CN", "target_store_count": "0", "target_date": "2030-12-31", "description": ""}
    goal = admin_client_.post("/admin/stores/expansiongoal/add/", body).content.decode()
    assert "目标的门店数须大于 0，且开始日期须早于目标日期。" in goal
    assert "a goal needs a positive store count" not in goal
    admin_client_.cookies["django_language"] = "hi"
    store = network.sh
    fields = ("name", "city", "address", "latitude", "longitude", "time_zone")
    form = {name: getattr(store, name) for name in fields if hasattr(store, name)}
    form.update({"opening_hours": '{"mon": ["10:00", "10:00"]}', "is_active": "on"})
    form.update({"staff-TOTAL_FORMS": "0", "staff-INITIAL_FORMS": "0"})
    hours = admin_client_.post(f"/admin/stores/store/{store.pk}/change/", form).content.decode()
    assert "हर खुले दिन के लिए 00:00 से 23:59 के बीच खुलने का समय" in hours
    assert "opening and closing times are the same" not in hours
    store.refresh_from_db()
    assert store.opening_hours != {"mon": ["10:00", "10:00"]}
