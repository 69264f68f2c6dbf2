"""The provisioning command and its manifest, the tick commands, the back office, and the demo's devices."""

from __future__ import annotations

import csv
import stat

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from millet.core.errors import Conflict
from millet.devices import services as devices
from millet.devices.models import Automation, Device, Notification
from tests.devices.conftest import C300

pytestmark = pytest.mark.django_db


def test_provision_devices_writes_a_private_manifest_that_logs_in(world, tmp_path, capsys):
    out = tmp_path / "run1.csv"
    call_command("provision_devices", model=C300, batch="B42", count=3, prefix="CAM", out=out)
    rows = list(csv.DictReader(out.open()))
    assert [r["serial"] for r in rows] == ["CAMB420000001", "CAMB420000002", "CAMB420000003"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert all(devices.check_device_secret(r["device_id"], r["secret"]) for r in rows)
    assert {r["model_urn"] for r in rows} == {C300} and all(r["claim_token"] for r in rows)
    serials = tmp_path / "serials.txt"
    serials.write_text("X-1\n\nX-2\nCAMB420000001\n")
    with pytest.raises(CommandError, match="nothing provisioned"):
        call_command("provision_devices", model=C300, batch="B43", serials_file=serials, out=out, append=True)
    assert not Device.objects.filter(serial="X-1").exists()  # all or nothing
    serials.write_text("X-1\nX-2\n")
    call_command("provision_devices", model=C300, batch="B43", serials_file=serials, out=out, append=True)
    assert len(list(csv.DictReader(out.open()))) == 5
    with pytest.raises(CommandError):
        call_command("provision_devices", model="urn:none", batch="B44", count=1, out=out)


def test_tick_commands_run(fleet, capsys):
    call_command("run_automations")
    call_command("advance_rollouts")
    assert "fired 0 automations" in capsys.readouterr().out


# Firmware and rollouts are added in the back office through their service verbs (upload_firmware,
# start_rollout: tests/admin/test_daily_work.py); every other device-cloud row is made by the cloud.
ADDED_THROUGH_SERVICES = {"firmware", "rollout"}


def test_every_device_model_has_a_working_read_only_admin_and_revoke_goes_through_the_service(fleet):
    ours = [m for m in admin.site._registry if m._meta.app_label == "devices"]
    assert {m._meta.model_name for m in ours} == {
        "device",
        "unitsale",
        "shadow",
        "command",
        "home",
        "automation",
        "notification",
        "firmware",
        "rollout",
        "rollouttarget",
        "deviceinvitation",
    }
    (cam,) = fleet.sell("alice")
    devices.set_presence(cam.device_id, True, timezone.now())
    devices.request_set(fleet.actor("alice"), cam.device_id, {"on": True})
    home = devices.create_home(fleet.actor("alice"), "Flat")
    devices.create_automation(
        fleet.actor("alice"),
        home.pk,
        name="n",
        trigger_type="time",
        trigger={"at": "07:00"},
        conditions=[],
        actions=[{"type": "notify", "message": "hi"}],
    )
    Notification.objects.create(user=fleet.world.users["alice"], message="hello")
    boss = get_user_model().objects.create_superuser("boss", "b@x.local", "pw")
    client = Client()
    client.force_login(boss)
    for model in ours:
        base = f"admin:devices_{model._meta.model_name}"
        listing = client.get(reverse(f"{base}_changelist"), {"q": "d"})
        assert listing.status_code == 200, model
        row = model.objects.first()
        if row is not None:
            assert client.get(reverse(f"{base}_change", args=[row.pk])).status_code == 200, model
        added_here = model._meta.model_name in ADDED_THROUGH_SERVICES
        assert client.get(reverse(f"{base}_add")).status_code == (200 if added_here else 403), model
    device = Device.objects.get(device_id=cam.device_id)
    response = client.post(
        reverse("admin:devices_device_changelist"),
        {"action": "revoke", "_selected_action": [device.pk]},
    )
    assert response.status_code == 302
    device.refresh_from_db()
    assert not device.enabled and not devices.check_device_secret(cam.device_id, cam.secret)


def test_the_revoke_action_says_a_refusal_and_the_count_in_the_admins_language(fleet, monkeypatch):
    """A device another admin revoked meanwhile was reported as the service's English detail
    ("device is already revoked") and the count as "revoked 0 device(s)", in a Chinese admin."""
    (cam,) = fleet.sell("alice")

    def revoked_meanwhile(actor, device_id):
        raise Conflict("device is already revoked", code="already_revoked")

    monkeypatch.setattr(devices, "revoke_device", revoked_meanwhile)
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("boss", "b@x.local", "pw"))
    client.cookies["django_language"] = "zh-hans"
    device = Device.objects.get(device_id=cam.device_id)
    response = client.post(
        reverse("admin:devices_device_changelist"),
        {"action": "revoke", "_selected_action": [device.pk]},
        follow=True,
    )
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said == [f"{cam.device_id}：该设备已被吊销。", "已吊销 0 台设备。"]


@pytest.mark.django_db(transaction=True)  # sales events bind devices on commit, as in a real build
def test_the_demo_company_has_devices_bound_to_their_buyers(tmp_path, settings):
    settings.DATA_DIR = tmp_path
    call_command("demo", seed=7, customers=10, orders=40)
    rows = list(csv.DictReader((tmp_path / "devices" / "manifest.csv").open()))
    assert len(rows) == Device.objects.count() >= 10
    assert not Device.objects.filter(owner__isnull=True).exists()
    assert not Device.objects.filter(activated_at__gt=timezone.now()).exists()
    customer = get_user_model().objects.get(username="customer")
    owned = Device.objects.filter(owner=customer)
    assert owned.count() >= 4 and not owned.filter(home__isnull=True).exists()  # incl. the smart home bought
    assert Automation.objects.filter(home__owner=customer, trigger_type="event").count() == 2  # motion, face
    assert all(devices.check_device_secret(r["device_id"], r["secret"]) for r in rows[:5])
