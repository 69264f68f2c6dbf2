"""Shadow versions, and commands with acknowledgement, retry, timeout, expiry and delivery on reconnect."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from millet.core.errors import Forbidden, NotFound, Unprocessable
from millet.devices import events
from millet.devices import services as devices
from millet.devices.models import Command, OpenCommand

pytestmark = pytest.mark.django_db


@pytest.fixture
def owned(fleet):
    """Alice's camera, switched on (bound) and online; bob owns another."""
    (cam,) = fleet.sell("alice")
    (bobs,) = fleet.sell("bob")
    for c in (cam, bobs):
        devices.set_presence(c.device_id, True, timezone.now())
    return cam, bobs


def test_desired_state_is_versioned_and_the_ack_moves_it_to_reported(fleet, owned):
    cam, _ = owned
    alice = fleet.actor("alice")
    command = devices.request_set(alice, cam.device_id, {"night-vision": 1})
    shadow = devices.get_shadow(alice, cam.device_id)
    assert (shadow.desired, shadow.desired_version, shadow.delta) == (
        {"night-vision": 1},
        1,
        {"night-vision": 1},
    )
    now = timezone.now()
    (out,) = devices.commands_to_send(now)
    assert out.topic == f"millet/v1/d/{cam.device_id}/commands" and out.device_id == cam.device_id
    body = json.loads(out.payload)
    assert list(body) == ["id", "kind", "params", "expires"] and json.dumps(body).encode() == out.payload
    assert body["id"] == command.command_id and body["kind"] == "set"
    assert (
        body["params"] == {"props": {"night-vision": 1}, "version": 1}
        and body["expires"] > now.timestamp() * 1000
    )
    assert devices.commands_to_send(now) == []  # marked sent: not handed out twice
    devices.acknowledge_command(cam.device_id, command.command_id, "ok", {})
    assert devices.get_command(alice, command.command_id).status == "acked"
    shadow = devices.get_shadow(alice, cam.device_id)
    assert shadow.reported == {"night-vision": 1} and shadow.reported_version == 1 and shadow.delta == {}
    devices.report_state(cam.device_id, {"on": True}, timezone.now())
    assert devices.get_shadow(alice, cam.device_id).reported_version == 2


def open_rows_match_open_commands() -> bool:
    """Every open command, and no closed one, has its ``OpenCommand`` row, with the command's expiry."""
    rows = set(OpenCommand.objects.values_list("command_id", "expires_at"))
    return rows == set(Command.objects.filter(finished_at__isnull=True).values_list("pk", "expires_at"))


def test_a_command_has_its_open_row_exactly_while_it_is_open(fleet, owned):
    """Issued, answered, expired, timed out, cancelled by a resale: the open rows follow each close."""
    cam, _ = owned
    alice = fleet.actor("alice")
    acked = devices.request_set(alice, cam.device_id, {"on": True})
    short = devices.request_set(alice, cam.device_id, {"night-vision": 1}, ttl_seconds=30)
    once = devices.request_set(alice, cam.device_id, {"on": False})
    Command.objects.filter(pk=once.pk).update(max_attempts=1)
    kept = devices.request_set(alice, cam.device_id, {"night-vision": 0})
    assert open_rows_match_open_commands() and OpenCommand.objects.count() == 4
    t0 = timezone.now()
    assert len(devices.commands_to_send(t0)) == 4
    devices.acknowledge_commands(
        [
            devices.Answer(cam.device_id, acked.command_id, "ok", {}),
            devices.Answer(cam.device_id, kept.command_id, "progress", {"progress": 10}),
        ]
    )
    assert open_rows_match_open_commands() and OpenCommand.objects.count() == 3
    devices.commands_to_send(t0 + timedelta(seconds=31))  # short expires, once times out
    states = dict(Command.objects.values_list("pk", "status"))
    assert (states[short.pk], states[once.pk], states[kept.pk]) == ("expired", "failed", "sent")
    assert open_rows_match_open_commands() and OpenCommand.objects.count() == 1
    devices.release_device(alice, cam.device_id)  # a resale cancels the waiting command
    assert Command.objects.get(pk=kept.pk).status == "cancelled"
    assert open_rows_match_open_commands() and not OpenCommand.objects.exists()


def test_another_owner_can_never_command_a_device(fleet, owned):
    cam, bobs = owned
    with pytest.raises(NotFound):
        devices.request_set(fleet.actor("bob"), cam.device_id, {"on": False})
    with pytest.raises(NotFound):
        devices.get_shadow(fleet.actor("bob"), cam.device_id)
    with pytest.raises(Forbidden):
        devices.request_set(fleet.actor("staff"), cam.device_id, {"on": False})
    command = devices.request_set(fleet.actor("bob"), bobs.device_id, {"on": False})
    with pytest.raises(NotFound):
        devices.get_command(fleet.actor("alice"), command.command_id)
    # A device acknowledging another device's command changes nothing.
    devices.commands_to_send(timezone.now())
    devices.acknowledge_command(cam.device_id, command.command_id, "ok", {})
    assert Command.objects.get(pk=command.pk).status == "sent"


@pytest.mark.parametrize(
    "props", [{"on": "yes"}, {"night-vision": 9}, {"zoom": 2}, {}, None, {"on": True, "night-vision": -1}]
)
def test_bad_properties_are_refused(fleet, owned, props):
    with pytest.raises(Unprocessable):
        devices.request_set(fleet.actor("alice"), owned[0].device_id, props)
    assert not Command.objects.exists()


def test_unacknowledged_commands_are_retried_then_time_out(fleet, owned):
    cam, _ = owned
    command = devices.request_set(fleet.actor("alice"), cam.device_id, {"on": True})
    Command.objects.filter(pk=command.pk).update(max_attempts=2, retry_seconds=10)
    t0 = timezone.now()
    assert len(devices.commands_to_send(t0)) == 1
    assert devices.commands_to_send(t0 + timedelta(seconds=5)) == []
    assert len(devices.commands_to_send(t0 + timedelta(seconds=11))) == 1
    assert devices.commands_to_send(t0 + timedelta(seconds=15)) == []
    devices.commands_to_send(t0 + timedelta(seconds=22))
    command.refresh_from_db()
    assert (command.status, command.attempts, command.result) == ("failed", 2, {"error": "timeout"})


def test_only_a_command_sent_for_its_last_time_is_marked_out_of_attempts(fleet, owned):
    """The mark the hand-out looks for timeouts by: set by the hand-out of the last attempt."""
    cam, _ = owned
    command = devices.request_set(fleet.actor("alice"), cam.device_id, {"on": True})
    Command.objects.filter(pk=command.pk).update(max_attempts=2, retry_seconds=10)

    def marked() -> bool:
        return OpenCommand.objects.get(command_id=command.pk).out_of_attempts

    t0 = timezone.now()
    devices.commands_to_send(t0)
    assert not marked()
    devices.commands_to_send(t0 + timedelta(seconds=11))
    assert marked()


def test_a_progress_answer_puts_off_the_timeout_of_a_last_attempt(fleet, owned):
    """Marked out of attempts, a command still times out only once its (pushed) retry time passes."""
    cam, _ = owned
    command = devices.request_set(fleet.actor("alice"), cam.device_id, {"on": True})
    t0 = timezone.now() - timedelta(seconds=5)
    Command.objects.filter(pk=command.pk).update(max_attempts=1, retry_seconds=10, next_attempt_at=t0)
    devices.commands_to_send(t0)  # the last attempt: it would time out at t0 + 10
    devices.acknowledge_command(cam.device_id, command.command_id, "progress", {"progress": 10})
    devices.commands_to_send(t0 + timedelta(seconds=12))  # pushed to about t0 + 15
    assert Command.objects.get(pk=command.pk).status == "sent"
    devices.commands_to_send(t0 + timedelta(seconds=16))
    command.refresh_from_db()
    assert (command.status, command.result) == ("failed", {"error": "timeout"})
    assert not OpenCommand.objects.exists()


def test_commands_to_an_offline_device_wait_for_reconnection_until_they_expire(fleet, owned):
    cam, _ = owned
    alice = fleet.actor("alice")
    devices.set_presence(cam.device_id, False, timezone.now())
    waiting = devices.request_set(alice, cam.device_id, {"on": True})
    doomed = devices.request_set(alice, cam.device_id, {"night-vision": 0}, ttl_seconds=30)
    now = timezone.now()
    assert devices.commands_to_send(now) == []
    devices.commands_to_send(now + timedelta(seconds=31))
    assert Command.objects.get(pk=doomed.pk).status == "expired"
    devices.set_presence(cam.device_id, True, now + timedelta(seconds=40))
    (out,) = devices.commands_to_send(now + timedelta(seconds=41))
    assert out.command_id == waiting.command_id
    devices.acknowledge_command(cam.device_id, waiting.command_id, "error", {"reason": "busy"})
    waiting.refresh_from_db()
    assert waiting.status == "failed" and waiting.result == {"reason": "busy"}
    with pytest.raises(Unprocessable):
        devices.request_set(alice, cam.device_id, {"on": True}, ttl_seconds=0)


def test_actions_are_checked_against_the_spec(fleet, owned):
    with pytest.raises(Unprocessable):
        devices.request_action(fleet.actor("alice"), owned[0].device_id, "take-snapshot", {})


def test_a_command_sent_just_before_the_device_dropped_is_resent_as_soon_as_it_is_back(fleet, owned):
    cam, _ = owned
    command = devices.request_set(fleet.actor("alice"), cam.device_id, {"on": True})
    t0 = timezone.now()
    devices.commands_to_send(t0)  # sent; the device drops before acknowledging
    devices.set_presence(cam.device_id, False, t0 + timedelta(seconds=1))
    devices.set_presence(cam.device_id, True, t0 + timedelta(seconds=2))
    (again,) = devices.commands_to_send(t0 + timedelta(seconds=2))
    assert again.command_id == command.command_id
    assert Command.objects.get(pk=command.pk).attempts == 2


def test_desired_state_changes_can_be_conditional_on_its_version(fleet, owned):
    cam, _ = owned
    alice = fleet.world.client("alice")
    path = f"/devices/{cam.device_id}/properties"
    assert alice.post(path, {"props": {"on": True}, "expected_version": 0}).status_code == 202
    stale = alice.post(path, {"props": {"on": False}, "expected_version": 0})
    assert stale.status_code == 409 and stale.json()["error"] == "version_conflict"
    assert alice.post(path, {"props": {"on": False}, "expected_version": 1}).status_code == 202
    assert devices.get_shadow(fleet.actor("alice"), cam.device_id).desired == {"on": False}


def test_a_batch_of_answers_is_applied_in_order_as_one_answer_at_a_time_would_be(fleet, owned):
    """What one ingest batch brings back: progress then the final answer, a repeat, another device's
    claim on a command, an unknown id, an unknown status; each command closes once, on its first
    final answer, and nothing else moves."""
    cam, bobs = owned
    alice, bob = fleet.actor("alice"), fleet.actor("bob")
    first = devices.request_set(alice, cam.device_id, {"night-vision": 1})
    second = devices.request_set(alice, cam.device_id, {"on": True})
    bobs_command = devices.request_set(bob, bobs.device_id, {"on": False})
    now = timezone.now()
    assert len(devices.commands_to_send(now)) == 3
    Answer = devices.Answer
    applied = devices.acknowledge_commands(
        [
            Answer(cam.device_id, first.command_id, "progress", {"progress": 50}),
            Answer(cam.device_id, first.command_id, "ok", {"done": True}),
            Answer(cam.device_id, first.command_id, "error", {"late": True}),  # already closed: ignored
            Answer(cam.device_id, bobs_command.command_id, "ok", {}),  # not this device's command
            Answer(cam.device_id, "no-such-command", "ok", {}),
            Answer(cam.device_id, second.command_id, "maybe", {}),  # not a status
            Answer(cam.device_id, second.command_id, "progress", {"progress": 10}),
        ]
    )
    assert applied == 3
    done = Command.objects.get(pk=first.pk)
    assert (done.status, done.result) == ("acked", {"done": True}) and done.finished_at is not None
    waiting = Command.objects.get(pk=second.pk)
    assert waiting.status == "sent" and waiting.next_attempt_at > now  # pushed back, still open
    assert Command.objects.get(pk=bobs_command.pk).status == "sent"
    assert devices.get_shadow(alice, cam.device_id).reported == {"night-vision": 1}  # the set's ack
    devices.acknowledge_commands([Answer(cam.device_id, second.command_id, "error", {"reason": "busy"})])
    failed = Command.objects.get(pk=second.pk)
    assert (failed.status, failed.result) == ("failed", {"reason": "busy"})


def test_a_batch_leaves_the_states_news_and_answers_heard_that_one_answer_at_a_time_leaves(
    fleet, owned, django_capture_on_commit_callbacks
):
    """The same answers, once as one batch and once one by one: each command ends in the same state,
    the owner's page hears the same state changes in the same order, and ``commands_answered``'s
    receivers get the same answers in the same order."""
    cam, bobs = owned
    alice, bob = fleet.actor("alice"), fleet.actor("bob")
    heard: list[tuple[str, str, dict]] = []

    def listener(sender, *, answers, **kwargs):
        heard.extend((a.command_id, a.status, a.result) for a in answers)

    def run(apply) -> tuple[list, list, list]:
        commands = [
            devices.request_set(alice, cam.device_id, {"night-vision": 1}),
            devices.request_set(alice, cam.device_id, {"on": True}),
            devices.request_set(alice, cam.device_id, {"night-vision": 0}),
            devices.request_set(bob, bobs.device_id, {"on": False}),
        ]
        sent_at = timezone.now()
        devices.commands_to_send(sent_at)
        ids = [c.command_id for c in commands]
        Answer = devices.Answer
        answers = [
            Answer(cam.device_id, ids[0], "progress", {"progress": 10}),
            Answer(cam.device_id, ids[1], "ok", {"applied": 1}),
            Answer(cam.device_id, ids[3], "ok", {}),  # bob's command: not this device's
            Answer(cam.device_id, ids[0], "progress", {"progress": 20}),
            Answer(cam.device_id, ids[0], "error", {"reason": "busy"}),
            Answer(cam.device_id, ids[1], "error", {"late": True}),  # closed already: ignored
            Answer(cam.device_id, ids[2], "progress", {"progress": 50}),
            Answer(bobs.device_id, ids[3], "progress", {}),
            Answer(bobs.device_id, ids[3], "ok", {"by": "bob"}),
        ]
        heard.clear()
        feed = devices.Subscription(cam.device_id)
        try:
            with django_capture_on_commit_callbacks(execute=True):
                applied = apply(answers)
            news = []
            while (message := feed.get(timeout=1)) is not None:
                news.append((ids.index(message["data"]["id"]), message["data"]["status"]))
        finally:
            feed.close()
        states = []
        for c in commands:
            c.refresh_from_db()
            pushed = c.next_attempt_at > sent_at + timedelta(seconds=c.retry_seconds)
            states.append((c.status, c.result, c.attempts, c.finished_at is not None, pushed))
        answered = [(ids.index(command_id), status, result) for command_id, status, result in heard]
        return [applied, *states], news, answered

    events.commands_answered.connect(listener, weak=False, dispatch_uid="test.heard")
    try:
        batched = run(devices.acknowledge_commands)
        one_by_one = run(lambda answers: sum(devices.acknowledge_commands([a]) for a in answers))
    finally:
        events.commands_answered.disconnect(dispatch_uid="test.heard")
    assert batched == one_by_one
    (applied, *states), news, answered = batched
    assert applied == 7
    assert states[0][:2] == ("failed", {"reason": "busy"}) and states[1][:2] == ("acked", {"applied": 1})
    assert states[2][0] == "sent" and states[2][4]  # still open, its retry pushed back
    assert states[3][:2] == ("acked", {"by": "bob"})
    assert news == [(1, "acked"), (0, "failed")]
    assert [(i, status) for i, status, _ in answered] == [
        (0, "progress"),
        (1, "ok"),
        (0, "progress"),
        (0, "error"),
        (2, "progress"),
        (3, "progress"),
        (3, "ok"),
    ]
