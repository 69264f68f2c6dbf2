"""Shadow state and commands: what the owner wants, what the device says, and delivery in between.

A command is stored before it is sent; ``commands_to_send`` (called by the ingestion worker about
twice a second) hands out the due ones for online devices and books the attempt in the same
transaction, so two workers never send the same attempt and an offline device's commands simply wait
for its next connection, until they expire.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import attrgetter
from typing import NamedTuple

import orjson
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from millet.accounts.actor import Actor
from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.core.idempotency import fingerprint, keyed_create
from millet.devices import events
from millet.devices.models import Command, Device, OpenCommand, Shadow
from millet.devices.services.identity import get_device, spec_of
from millet.devices.services.live import publish_command_states
from millet.devices.services.ownership import CONTROL, READ, device_with_role, role_of
from millet.devices.services.reported import event_is_newest, fill_in_acked

SNAPSHOT_ACTION = "take-snapshot"  # the action a camera model's spec names; cameras upload pictures
DEFAULT_TTL = timedelta(hours=24)
MAX_TTL = timedelta(days=7)
OPEN = (Command.Status.QUEUED, Command.Status.SENT)


class OutboundCommand(NamedTuple):
    """A command to publish. This, ``Answer`` and ``AnsweredCommand`` are named tuples, as immutable as
    a frozen dataclass, because they are built 500 to a batch: a frozen dataclass sets each field
    through ``object.__setattr__``, about five times the cost of a named tuple's construction."""

    command_id: str
    device_id: str
    topic: str
    payload: bytes


@dataclass(frozen=True)
class ShadowState:
    device_id: str
    desired: dict
    desired_version: int
    reported: dict
    reported_version: int
    reported_at: datetime | None
    delta: dict  # desired values the device has not reported yet
    reported_stamps: dict  # per property: [device time, seq] of its report (``services.reported``)


def command_topic(device_id: str) -> str:
    return f"millet/v1/d/{device_id}/commands"


def issue_command(
    device: Device,
    kind: str,
    params: dict,
    *,
    created_by: int | None = None,
    ttl: timedelta = DEFAULT_TTL,
    retry_seconds: int = 10,
    max_attempts: int = 5,
    now: datetime | None = None,
) -> Command:
    """Store a command for delivery, with its open entry; callers have checked rights and validated
    ``params``."""
    now = now or timezone.now()
    with transaction.atomic(savepoint=False):  # the two rows or neither; no savepoint in a caller's
        command = Command.objects.create(
            command_id=secrets.token_hex(12),
            device=device,
            kind=kind,
            params=params,
            created_by_id=created_by,
            next_attempt_at=now,
            expires_at=now + ttl,
            retry_seconds=retry_seconds,
            max_attempts=max_attempts,
        )
        OpenCommand.objects.create(command=command, expires_at=command.expires_at)
    publish_command_states([(device.device_id, command.command_id, command.status)])
    return command


def _ttl(seconds: int | None) -> timedelta:
    if seconds is None:
        return DEFAULT_TTL
    if not isinstance(seconds, int) or not 1 <= seconds <= MAX_TTL.total_seconds():
        raise Unprocessable(f"ttl must be 1 to {int(MAX_TTL.total_seconds())} seconds", code="invalid_ttl")
    return timedelta(seconds=seconds)


def set_properties(
    device: Device,
    props: dict,
    *,
    created_by: int | None,
    ttl: timedelta = DEFAULT_TTL,
    expected_version: int | None = None,
) -> Command:
    """Validate writable props, raise the desired version, and queue the set command (rights checked).

    With ``expected_version`` the change applies only if nobody changed the desired state since the
    caller read it (optimistic concurrency, as two family members' apps may race).
    """
    props = spec_of(device.device_id).values(props, writable=True)
    shadow = Shadow.objects.select_for_update().get(device=device)
    if expected_version is not None and expected_version != shadow.desired_version:
        raise Conflict(
            f"desired state is at version {shadow.desired_version}, not {expected_version}",
            code="version_conflict",
        )
    shadow.desired = {**shadow.desired, **props}
    shadow.desired_version += 1
    shadow.save(update_fields=["desired", "desired_version"])
    return issue_command(
        device,
        Command.Kind.SET,
        {"props": props, "version": shadow.desired_version},
        created_by=created_by,
        ttl=ttl,
    )


def run_action(
    device: Device, action: str, args: dict, *, created_by: int | None, ttl: timedelta = DEFAULT_TTL
) -> Command:
    spec = spec_of(device.device_id)
    found = spec.actions.get(action) if isinstance(action, str) else None
    if found is None:
        raise Unprocessable(f"unknown action {action!r}", code="unknown_action")
    checked = spec.arguments(found[1], args if args is not None else {}, f"action {action!r}")
    return issue_command(
        device, Command.Kind.ACTION, {"action": action, "args": checked}, created_by=created_by, ttl=ttl
    )


def request_set(
    actor: Actor,
    device_id: str,
    props: dict,
    *,
    ttl_seconds: int | None = None,
    expected_version: int | None = None,
    idempotency_key: str | None = None,
) -> Command:
    """Owner or control share: change properties. Another owner's device is simply not found.

    The actor's ``idempotency_key`` makes a retry answer with the command the first request queued
    (as it is now), queueing none twice; the same key with another request is 409
    ``idempotency_key_reused`` (``core.idempotency.keyed_create``)."""
    ttl = _ttl(ttl_seconds)
    with transaction.atomic():
        device = device_with_role(actor, device_id, CONTROL, for_update=True)
        return _keyed_command(
            actor,
            idempotency_key,
            fingerprint(
                "request_set",
                device_id=device_id,
                props=props,
                ttl=ttl_seconds,
                expected_version=expected_version,
            ),
            lambda: set_properties(
                device, props, created_by=actor.user_id, ttl=ttl, expected_version=expected_version
            ),
        )


def request_action(
    actor: Actor,
    device_id: str,
    action: str,
    args: dict | None,
    *,
    ttl_seconds: int | None = None,
    idempotency_key: str | None = None,
) -> Command:
    """Owner or control share: run one of the device's actions (422 ``unknown_action``, or its
    arguments refused). ``idempotency_key`` as ``request_set``'s: a retry runs nothing twice."""
    ttl = _ttl(ttl_seconds)
    with transaction.atomic():
        device = device_with_role(actor, device_id, CONTROL)
        return _keyed_command(
            actor,
            idempotency_key,
            fingerprint(
                "request_action", device_id=device_id, action=action, args=args or {}, ttl=ttl_seconds
            ),
            lambda: run_action(device, action, args or {}, created_by=actor.user_id, ttl=ttl),
        )


def _keyed_command(actor: Actor, key: str | None, request: str, issue: Callable[[], Command]) -> Command:
    """``issue()`` once per actor and key (``core.idempotency.keyed_create``); a replay reads the
    first command with its device, as the API answers it."""
    return keyed_create(
        actor.user_id,
        key,
        request,
        issue,
        remember=attrgetter("pk"),
        replay=lambda pk: Command.objects.select_related("device").get(pk=pk),
    )


def _shadow_state(device: Device, shadow: Shadow) -> ShadowState:
    delta = {k: v for k, v in shadow.desired.items() if shadow.reported.get(k) != v}
    return ShadowState(
        device.device_id,
        shadow.desired,
        shadow.desired_version,
        shadow.reported,
        shadow.reported_version,
        shadow.reported_at,
        delta,
        shadow.reported_stamps,
    )


def get_shadow(actor: Actor, device_id: str) -> ShadowState:
    device = device_with_role(actor, device_id, READ)
    return _shadow_state(device, Shadow.objects.get(device=device))


def shadow_of(device_id: str) -> ShadowState:
    """For the platform's own services and tests (the ingestion worker's checks); no rights checked."""
    device = get_device(device_id)
    return _shadow_state(device, Shadow.objects.get(device=device))


def _shown_since(role: str | None, device: Device) -> datetime | None:
    """The oldest command a person with ``role`` sees on the device: those since it was bound to its
    owner, as releasing it wipes the last owner's data for the next (what they set, which actions,
    the answers); staff see them all (None)."""
    return None if role == "staff" else device.bound_at


def get_command(actor: Actor, command_id: str, *, device_id: str | None = None) -> Command:
    """A command on a device the actor may see, sent since its present owner bound it (staff: any);
    raises NotFound ``unknown_command`` for an unknown id, another device's command, a command on a
    device the actor may not see and one sent before the device changed hands alike (and, when
    ``device_id`` is given, NotFound ``unknown_device`` first for a device they may not see)."""
    if device_id is not None:
        device_with_role(actor, device_id, READ)
    command = Command.objects.select_related("device").filter(command_id=command_id).first()
    role = role_of(actor, command.device) if command is not None else None
    since = _shown_since(role, command.device) if command is not None else None
    if (
        command is None
        or (device_id is not None and command.device.device_id != device_id)
        or role is None
        or (since is not None and command.created_at < since)
    ):
        raise NotFound("unknown command", code="unknown_command")
    return command


def list_commands(actor: Actor, device_id: str, limit: int = 50) -> list[Command]:
    """The device's newest commands first, those sent since its present owner bound it (staff: all);
    NotFound ``unknown_device`` for a device the actor may not see."""
    device = device_with_role(actor, device_id, READ)
    commands = device.commands.order_by("-pk")
    since = _shown_since(role_of(actor, device), device)
    if since is not None:
        commands = commands.filter(created_at__gte=since)
    return list(commands[:limit])


# --- from the device -------------------------------------------------------------------------------


def record_event(device_id: str, event: str, args: dict, at: datetime, *, seq: int = 0) -> None:
    """An event the device reported at device time ``at``; automations run unless it is older than
    an event already seen (a flushed backlog is history, not news)."""
    if event_is_newest(device_id, at, seq):
        events.event_reported.send(
            sender=Device, device=get_device(device_id), event=event, args=args or {}, at=at
        )


def is_camera(device_id: str) -> bool:
    """Whether the device's model can take a picture (its spec has the ``take-snapshot`` action)."""
    return SNAPSHOT_ACTION in spec_of(device_id).actions


def receive_snapshot(device_id: str, image: bytes, at: datetime) -> None:
    """A camera's picture, uploaded over MQTT or HTTP at ``at``, handed on as ``snapshot_received``.

    Raises ``NotFound`` (unknown device), ``Unprocessable`` ``not_a_camera`` (its model takes no
    pictures) and whatever a receiver raises to refuse the picture (see ``events``).
    """
    get_device(device_id)
    if not is_camera(device_id):
        raise Unprocessable("this device is not a camera", code="not_a_camera")
    events.snapshot_received.send(sender=Device, device_id=device_id, image=image, at=at)


def _payload_of(command_id: str, kind: str, params: dict, expires_at: datetime) -> bytes:
    """What the device gets on its command topic (PostgreSQL builds the same in ``_HAND_OUT``)."""
    body = {"id": command_id, "kind": kind, "params": params, "expires": int(expires_at.timestamp() * 1000)}
    return json.dumps(body).encode()


def _close(qs, status: str, now: datetime, error: str) -> None:
    rows = list(qs.values_list("pk", "command_id", "device__device_id"))
    if not rows:
        return
    closed = [pk for pk, _, _ in rows]
    Command.objects.filter(pk__in=closed).close(status, now, {"error": error})
    publish_command_states((device_id, command_id, status) for _, command_id, device_id in rows)
    events.commands_closed.send(sender=Command, command_ids=closed, reason=error)


# PostgreSQL: the whole hand-out in one statement. Expired and timed-out commands are closed, and up
# to ``limit`` due ones are locked (SKIP LOCKED: another worker takes the next ones), marked sent and
# returned with their device's id and payload, oldest due first (PostgreSQL writes each payload: no
# row's params and timestamps are parsed and serialised again in Python; it is put together as text,
# the very text ``jsonb_build_object(...)::text`` gave, at half its cost, as the stored params need no
# conversion to be written out). The three sets are disjoint (a due command has not expired and has
# attempts left), and data-modifying CTEs all see the same snapshot. The open commands are found
# through their ``OpenCommand`` rows, and the closed ones' rows deleted; timeouts only among the rows
# marked ``out_of_attempts`` (by the hand-out of the command's last attempt: ``marked``), not on a
# visit to every open command. An open command is one with no ``finished_at`` (a constraint ties it to
# the status), rechecked on each command row, as a row locked or updated is re-read if another worker
# changed it meanwhile. Commands are reached only by primary key from an array of open ids (``= ANY``)
# and a device by a subquery per command: joins left to the planner turned, on statistics taken before
# the backlog or the fleet came online, into scans of every command or every device per command.
# Marking a command sent changes no indexed column: a HOT update (``Command``).
_HAND_OUT = """
WITH expired AS (
    UPDATE devices_command c SET status = 'expired', finished_at = %(now)s, result = '{"error": "expired"}'
    WHERE c.id = ANY (ARRAY(SELECT o.command_id FROM devices_opencommand o WHERE o.expires_at <= %(now)s))
      AND c.finished_at IS NULL
    RETURNING c.id, c.command_id, (SELECT d.device_id FROM devices_device d WHERE d.id = c.device_id)
), timed_out AS (
    UPDATE devices_command c SET status = 'failed', finished_at = %(now)s, result = '{"error": "timeout"}'
    WHERE c.id = ANY (ARRAY(
        SELECT o.command_id FROM devices_opencommand o WHERE o.out_of_attempts AND o.expires_at > %(now)s))
      AND c.finished_at IS NULL AND c.status = 'sent' AND c.attempts >= c.max_attempts
      AND c.next_attempt_at <= %(now)s
    RETURNING c.id, c.command_id, (SELECT d.device_id FROM devices_device d WHERE d.id = c.device_id)
), closed AS (
    DELETE FROM devices_opencommand o
    WHERE o.command_id IN (SELECT id FROM expired UNION ALL SELECT id FROM timed_out)
), due AS (
    SELECT c.id, c.next_attempt_at, c.device_id
    FROM devices_command c
    WHERE c.id = ANY (ARRAY(SELECT o.command_id FROM devices_opencommand o WHERE o.expires_at > %(now)s))
      AND c.finished_at IS NULL AND c.next_attempt_at <= %(now)s AND c.attempts < c.max_attempts
      AND (SELECT d.online AND d.enabled FROM devices_device d WHERE d.id = c.device_id)
    ORDER BY c.next_attempt_at, c.id
    LIMIT %(limit)s
    FOR UPDATE OF c SKIP LOCKED
), sent AS (
    UPDATE devices_command c
    SET status = 'sent', attempts = c.attempts + 1,
        next_attempt_at = %(now)s + make_interval(secs => c.retry_seconds)
    FROM due JOIN devices_device d ON d.id = due.device_id
    WHERE c.id = due.id
    RETURNING due.next_attempt_at AS due_at, c.id, c.command_id, d.device_id,
        '{"id": ' || to_json(c.command_id) || ', "kind": ' || to_json(c.kind) || ', "params": ' || c.params
            || ', "expires": ' || floor(extract(epoch FROM c.expires_at) * 1000)::bigint || '}' AS payload,
        c.attempts >= c.max_attempts AS last
), marked AS (
    UPDATE devices_opencommand o SET out_of_attempts = true
    WHERE o.command_id = ANY (ARRAY(SELECT id FROM sent WHERE last))
)
SELECT what, id, command_id, device_id, payload FROM (
    SELECT 'send' AS what, due_at, id, command_id, device_id, payload FROM sent
    UNION ALL SELECT 'expired', NULL, id, command_id, device_id, NULL FROM expired
    UNION ALL SELECT 'timeout', NULL, id, command_id, device_id, NULL FROM timed_out
) handed
ORDER BY due_at, id
"""


# What each row kind of ``_HAND_OUT`` leaves the command as, for the owner's live page.
_STATE_OF = {"send": Command.Status.SENT, "expired": Command.Status.EXPIRED, "timeout": Command.Status.FAILED}


def commands_to_send(now: datetime, limit: int = 500) -> list[OutboundCommand]:
    """Due commands for online devices, marked sent (attempt + 1, next retry time) in the same call,
    oldest due first.

    Past expiry a command is ``expired``; after its last attempt goes unanswered for one more retry
    interval it is ``failed`` (timeout); both are announced with ``commands_closed``. On PostgreSQL
    this is one statement per batch (``_HAND_OUT``), and ``SKIP LOCKED`` lets several workers share
    the work; elsewhere (SQLite, one writer) the same rules run through the ORM.
    """
    if connection.vendor != "postgresql":
        return _commands_to_send_orm(now, limit)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_HAND_OUT, {"now": now, "limit": limit})
        rows = cursor.fetchall()
        for reason in ("expired", "timeout"):
            closed = [row[1] for row in rows if row[0] == reason]
            if closed:
                events.commands_closed.send(sender=Command, command_ids=closed, reason=reason)
        publish_command_states((row[3], row[2], _STATE_OF[row[0]]) for row in rows)
    return [
        OutboundCommand(command_id, device_id, command_topic(device_id), payload.encode())
        for what, _, command_id, device_id, payload in rows
        if what == "send"
    ]


def _commands_to_send_orm(now: datetime, limit: int) -> list[OutboundCommand]:
    with transaction.atomic():
        _close(
            Command.objects.filter(open_entry__expires_at__lte=now),
            Command.Status.EXPIRED,
            now,
            "expired",
        )
        _close(
            Command.objects.filter(
                open_entry__out_of_attempts=True,
                status=Command.Status.SENT,
                attempts__gte=F("max_attempts"),
                next_attempt_at__lte=now,
            ),
            Command.Status.FAILED,
            now,
            "timeout",
        )
        due = Command.objects.select_related("device").filter(
            open_entry__isnull=False,
            status__in=OPEN,
            next_attempt_at__lte=now,
            attempts__lt=F("max_attempts"),
            device__online=True,
            device__enabled=True,
        )
        commands = list(due.order_by("next_attempt_at", "pk")[:limit])
        for retry in {c.retry_seconds for c in commands}:
            Command.objects.filter(pk__in=[c.pk for c in commands if c.retry_seconds == retry]).update(
                status=Command.Status.SENT,
                attempts=F("attempts") + 1,
                next_attempt_at=now + timedelta(seconds=retry),
            )
        OpenCommand.objects.filter(
            command_id__in=[c.pk for c in commands if c.attempts + 1 >= c.max_attempts]
        ).update(out_of_attempts=True)
        publish_command_states(
            (c.device.device_id, c.command_id, Command.Status.SENT) for c in commands if c.attempts == 0
        )
    return [
        OutboundCommand(
            c.command_id,
            c.device.device_id,
            command_topic(c.device.device_id),
            _payload_of(c.command_id, c.kind, c.params, c.expires_at),
        )
        for c in commands
    ]


# What answering reports of each command it applied an answer to, in the batch's order.
class AnsweredCommand(NamedTuple):
    """One applied answer, as ``commands_answered`` hands it to its receivers (OTA rollouts)."""

    pk: int
    command_id: str
    device_id: str
    kind: str
    params: dict
    status: str  # the answer's: "ok", "error" or "progress"
    result: dict


class Answer(NamedTuple):
    """A device's answer to a command, as the ingestion worker decoded it from ``.../acks``."""

    device_id: str
    command_id: str
    status: str  # "ok", "error" or "progress"
    result: dict


# An open command's row as answering reads it: pk, kind, params and its state after the answer.
_Answered = tuple[int, str, dict, str]


def acknowledge_command(device_id: str, command_id: str, status: str, result: dict | None) -> None:
    """A device's answer. Acks naming another device's command, or a closed one, are ignored."""
    acknowledge_commands([Answer(device_id, command_id, status, result)])


def acknowledge_commands(answers: list[Answer]) -> int:
    """A batch of device answers (one ingest batch's), applied in order in one transaction, as one
    answer at a time would be: a command closes on its first final answer (``ok`` or ``error``), a
    ``progress`` before it pushes its retry back, and answers naming another device's command, a
    closed or unknown command, or an unknown status are ignored.

    Only each command's last applied answer changes its row, so the writes are one statement on
    PostgreSQL (``_ANSWER``: the commands locked in id order, then updated) whatever the batch's size.
    Each closed command's new state goes to the owner's live page; ``commands_answered`` gets every
    applied answer, in order, with the commands locked. Returns how many answers were applied.
    """
    wanted = [
        a  # already in shape (nearly every answer): no copy
        if isinstance(a.result, dict) and len(a.command_id) <= 32
        else Answer(a.device_id, a.command_id[:32], a.status, a.result if isinstance(a.result, dict) else {})
        for a in answers
        if a.status in ("ok", "error", "progress") and isinstance(a.command_id, str)
    ]
    if not wanted:
        return 0
    # Per command and answering device: the positions of its answers up to its first final one (the
    # later ones find the command closed). Another device's claim is its own chain, which never applies.
    chains: dict[tuple[str, str], list[int]] = {}
    for i, answer in enumerate(wanted):
        chain = chains.setdefault((answer.command_id, answer.device_id), [])
        if not chain or wanted[chain[-1]].status == "progress":
            chain.append(i)
    now = timezone.now()
    with transaction.atomic():
        # Each command's last applied answer, and whether a ``progress`` in its chain pushed its retry
        # (every answer of a chain but its last is a ``progress``).
        finals = [
            (wanted[chain[-1]], len(chain) > 1 or wanted[chain[0]].status == "progress")
            for chain in chains.values()
        ]
        answered = (_answer if connection.vendor == "postgresql" else _answer_orm)(finals, now)
        applied = sorted(i for key in answered for i in chains[key])
        # The owner's page hears each close in the order the answers closed them, as one at a time.
        closes = sorted(
            (chains[key][-1], key, state) for key, (_, _, _, state) in answered.items() if state not in OPEN
        )
        publish_command_states((device_id, command_id, state) for _, (command_id, device_id), state in closes)
        news = []
        for i in applied:
            a = wanted[i]
            pk, kind, params, _ = answered[a.command_id, a.device_id]
            news.append(AnsweredCommand(pk, a.command_id, a.device_id, kind, params, a.status, a.result))
        events.commands_answered.send(sender=Command, answers=news)
    for done in news:
        if done.kind == Command.Kind.SET and done.status == "ok":
            fill_in_acked(done.device_id, done.params.get("props", {}))
    return len(news)


# PostgreSQL: each answered command's final answer in one statement. The open commands named by the
# batch on the answering device are locked in id order (one lock order for every worker: no deadlock
# between batches; a command closed meanwhile drops out on the recheck), then a final answer closes
# its command (a HOT update: ``Command``) and deletes its ``OpenCommand`` row, and a ``progress``
# among its answers pushes the next attempt one retry interval out.
# The answers go in, and what changed comes back, as one JSON document each: one value to encode and
# decode per batch rather than several per answer. The answer is built as ``json`` (text put together
# as it goes), not ``jsonb``: each command's params need no conversion, a fifth less of the statement.
_ANSWER = """
WITH answer AS (
    SELECT * FROM jsonb_to_recordset(%(answers)s::jsonb)
        AS a (command_id text, device_id text, status text, result jsonb, pushed boolean)
), locked AS (
    SELECT c.id, a.device_id, a.status, a.result, a.pushed
    FROM answer a
    JOIN devices_command c ON c.command_id = a.command_id
    JOIN devices_device d ON d.id = c.device_id AND d.device_id = a.device_id
    WHERE c.finished_at IS NULL
    ORDER BY c.id
    FOR UPDATE OF c
), answered AS (
    UPDATE devices_command c
    SET status = CASE locked.status WHEN 'ok' THEN 'acked' WHEN 'error' THEN 'failed' ELSE c.status END,
        finished_at = CASE WHEN locked.status = 'progress' THEN c.finished_at ELSE %(now)s END,
        result = CASE WHEN locked.status = 'progress' THEN c.result ELSE locked.result END,
        next_attempt_at = CASE WHEN locked.pushed
            THEN %(now)s + make_interval(secs => c.retry_seconds) ELSE c.next_attempt_at END
    FROM locked
    WHERE c.id = locked.id
    RETURNING c.command_id, locked.device_id, c.id, c.kind, c.params, c.status
), closed AS (
    DELETE FROM devices_opencommand o USING answered
    WHERE o.command_id = answered.id AND answered.status NOT IN ('queued', 'sent')
)
SELECT coalesce(json_agg(json_build_array(command_id, device_id, id, kind, params, status)), '[]')::text
FROM answered
"""


def _answer(finals: list[tuple[Answer, bool]], now: datetime) -> dict[tuple[str, str], _Answered]:
    """PostgreSQL: ``_ANSWER`` for each command's final answer in the batch; what it changed."""
    answers = [
        {
            "command_id": a.command_id,
            "device_id": a.device_id,
            "status": a.status,
            "result": a.result,
            "pushed": p,
        }
        for a, p in finals
    ]
    # orjson: a tenth of the json module's time for these batches; the results it encodes came from the
    # ingest decoder (orjson itself), and what it decodes is PostgreSQL's rendering of stored JSON.
    with connection.cursor() as cursor:
        cursor.execute(_ANSWER, {"answers": orjson.dumps(answers).decode(), "now": now})
        (changed,) = cursor.fetchone()
    return {
        (command_id, device_id): (pk, kind, params, state)
        for command_id, device_id, pk, kind, params, state in orjson.loads(changed)
    }


def _answer_orm(finals: list[tuple[Answer, bool]], now: datetime) -> dict[tuple[str, str], _Answered]:
    """Elsewhere (SQLite, one writer) the same rules through the ORM: a statement per distinct new
    state (answers nearly all say ``ok`` with the same result)."""
    found = (
        Command.objects.select_for_update(of=("self",))
        .filter(command_id__in={a.command_id for a, _ in finals}, status__in=OPEN)
        .values_list("command_id", "device__device_id", "pk", "kind", "params", "status", "retry_seconds")
    )
    open_commands = {(command_id, device_id): rest for command_id, device_id, *rest in found}
    answered: dict[tuple[str, str], _Answered] = {}
    groups: dict[tuple, list[int]] = {}
    for a, pushed in finals:
        key = (a.command_id, a.device_id)
        if key not in open_commands:
            continue
        pk, kind, params, state, retry_seconds = open_commands[key]
        change: dict = {"next_attempt_at": now + timedelta(seconds=retry_seconds)} if pushed else {}
        if a.status != "progress":
            state = Command.Status.ACKED if a.status == "ok" else Command.Status.FAILED
            change |= {"status": state, "finished_at": now, "result": json.dumps(a.result, sort_keys=True)}
        answered[key] = (pk, kind, params, state)
        groups.setdefault(tuple(sorted(change.items())), []).append(pk)
    for change, pks in groups.items():
        values = dict(change)
        if "result" in values:
            values["result"] = json.loads(values["result"])
        Command.objects.filter(pk__in=pks).update(**values)
    OpenCommand.objects.filter(
        command_id__in=[pk for pk, _, _, state in answered.values() if state not in OPEN]
    ).delete()
    return answered
