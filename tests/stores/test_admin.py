"""The back-office screens load, search and filter, and move openings only through the service."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from millet.stores.models import PlannedOpening
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
    response = admin_client_.post(
        changelist, {"action": "move_to_signed", "_selected_action": [opening.pk]}, follow=True
    )
    assert "cannot move to signed" in response.content.decode()
    opening.refresh_from_db()
    assert opening.stage == "signed"
