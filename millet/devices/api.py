"""HTTP routes of the device cloud; thin over ``millet.devices.services``.

Owners see and control only their devices (and those shared with them); staff see the fleet, manage
identities, firmware and rollouts, but never command a customer's device.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Field, Query, Router, Schema, Status

from millet.devices import services
from millet.devices.models import Automation, Command, Firmware, Home, Rollout

router = Router(tags=["devices"])

DeviceId = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.:-]+$")]
Username = Annotated[str, Field(min_length=1, max_length=150)]
ObjectId = Annotated[int, Field(ge=1, le=2**31 - 1)]
Ttl = Annotated[int | None, Field(ge=1, le=7 * 86400)]


class DeviceOut(Schema):
    device_id: str
    serial: str
    model_code: str
    batch: str
    role: str
    owner_id: int | None
    home_id: int | None
    region: str
    firmware_version: str
    online: bool
    last_seen: datetime | None
    enabled: bool
    activated_at: datetime | None


class ListFilter(Schema):
    fleet: bool = False
    limit: Annotated[int, Field(ge=1, le=1000)] = 200
    offset: Annotated[int, Field(ge=0, le=10_000_000)] = 0


class ProvisionIn(Schema):
    model_code: Annotated[str, Field(min_length=1, max_length=128)]
    batch: Annotated[str, Field(min_length=1, max_length=32)]
    serials: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=32)]], Field(min_length=1, max_length=1000)
    ]


class ProvisionedOut(Schema):
    device_id: str
    serial: str
    model_code: str
    secret: str
    claim_token: str


class ClaimIn(Schema):
    device_id: DeviceId
    claim_token: Annotated[str, Field(min_length=1, max_length=64)]


class TokenOut(Schema):
    claim_token: str


class ShadowOut(Schema):
    device_id: str
    desired: dict[str, Any]
    desired_version: int
    reported: dict[str, Any]
    reported_version: int
    reported_at: datetime | None
    delta: dict[str, Any]
    reported_stamps: dict[str, tuple[str, int]] = Field(
        description="Per reported property: [device time (ISO 8601 UTC), seq] of the report its value "
        'came from; ["", 0] for a value filled in from a set command\'s acknowledgement.'
    )


class SetIn(Schema):
    props: dict[str, Any]
    ttl_seconds: Ttl = None
    expected_version: Annotated[int | None, Field(ge=0, le=2**31 - 1)] = Field(
        None, description="Apply only if the desired state is still at this version (else 409)."
    )


class ActionIn(Schema):
    action: Annotated[str, Field(min_length=1, max_length=64)]
    args: dict[str, Any] = {}
    ttl_seconds: Ttl = None


class CommandOut(Schema):
    command_id: str
    device_id: str
    kind: str
    params: dict[str, Any]
    status: str
    attempts: int
    created_at: datetime
    expires_at: datetime
    finished_at: datetime | None
    result: dict[str, Any]


class ShareIn(Schema):
    username: Username
    role: Literal["read", "control"]


class ShareOut(Schema):
    username: str
    role: str


class HomeIn(Schema):
    name: Annotated[str, Field(min_length=1, max_length=64)]
    time_zone: Annotated[str, Field(min_length=1, max_length=64)] = "UTC"


class HomeOut(Schema):
    id: int
    name: str
    time_zone: str


class PlaceIn(Schema):
    home_id: ObjectId | None


class AutomationIn(Schema):
    name: Annotated[str, Field(min_length=1, max_length=64)]
    trigger_type: Literal["property", "event", "time"]
    trigger: dict[str, Any]
    conditions: Annotated[list[dict[str, Any]], Field(max_length=10)] = []
    actions: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=10)]


class AutomationOut(Schema):
    id: int
    home_id: int
    name: str
    enabled: bool
    trigger_type: str
    trigger: dict[str, Any]
    conditions: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    last_fired_at: datetime | None
    fired_count: int


class EnabledIn(Schema):
    enabled: bool


class NotificationOut(Schema):
    id: int
    message: str
    automation_id: int | None
    created_at: datetime


class FirmwareIn(Schema):
    model_code: Annotated[str, Field(min_length=1, max_length=128)]
    version: Annotated[str, Field(min_length=1, max_length=32)]
    url: Annotated[str, Field(min_length=1, max_length=300)]
    sha256: Annotated[str, Field(min_length=64, max_length=64)]
    size: Annotated[int, Field(ge=1, le=2**34)]
    notes: Annotated[str, Field(max_length=2000)] = ""


class FirmwareOut(Schema):
    id: int
    model_code: str
    version: str
    url: str
    sha256: str
    size: int
    created_at: datetime


class RolloutIn(Schema):
    firmware_id: ObjectId
    steps: Annotated[list[Annotated[int, Field(ge=1, le=100)]], Field(min_length=1, max_length=10)]
    rate_per_minute: Annotated[int, Field(ge=1, le=100_000)] = 60
    failure_threshold: Annotated[float, Field(gt=0, le=1)] = 0.2
    min_finished: Annotated[int, Field(ge=1, le=100_000)] = 5


class RolloutOut(Schema):
    id: int
    firmware_id: int
    version: str
    status: str
    steps: list[int]
    step_index: int
    rate_per_minute: int
    failure_threshold: float
    reason: str
    rollback_of: int | None
    counts: dict[str, int]


class ConnectedGroup(Schema):
    model_code: str
    region: str
    firmware_version: str
    count: int


class ConnectedOut(Schema):
    online: int
    devices: int
    groups: list[ConnectedGroup]


class DayCount(Schema):
    day: date
    count: int


class DaysFilter(Schema):
    days: Annotated[int, Field(ge=1, le=366)] = 30


class BatchOut(Schema):
    batch: str
    model_code: str
    devices: int
    failed: int
    failure_rate: float


def _device_out(info: services.DeviceInfo) -> DeviceOut:
    return DeviceOut(**info.__dict__)


def _command_out(command: Command) -> CommandOut:
    return CommandOut(
        command_id=command.command_id,
        device_id=command.device.device_id,
        kind=command.kind,
        params=command.params,
        status=command.status,
        attempts=command.attempts,
        created_at=command.created_at,
        expires_at=command.expires_at,
        finished_at=command.finished_at,
        result=command.result,
    )


def _home_out(home: Home) -> HomeOut:
    return HomeOut(id=home.pk, name=home.name, time_zone=home.time_zone)


def _automation_out(a: Automation) -> AutomationOut:
    return AutomationOut(
        id=a.pk,
        home_id=a.home_id,
        name=a.name,
        enabled=a.enabled,
        trigger_type=a.trigger_type,
        trigger=a.trigger,
        conditions=a.conditions,
        actions=a.actions,
        last_fired_at=a.last_fired_at,
        fired_count=a.fired_count,
    )


def _firmware_out(f: Firmware) -> FirmwareOut:
    return FirmwareOut(
        id=f.pk,
        model_code=f.device_model.urn,
        version=f.version,
        url=f.url,
        sha256=f.sha256,
        size=f.size,
        created_at=f.created_at,
    )


def _rollout_out(r: Rollout) -> RolloutOut:
    return RolloutOut(
        id=r.pk,
        firmware_id=r.firmware_id,
        version=r.firmware.version,
        status=r.status,
        steps=r.steps,
        step_index=r.step_index,
        rate_per_minute=r.rate_per_minute,
        failure_threshold=float(r.failure_threshold),
        reason=r.reason,
        rollback_of=r.rollback_of_id,
        counts=services.rollout_counts(r),
    )


# --- static paths first: they must win over /{device_id} ----------------------------------------


@router.get("/", response=list[DeviceOut])
def list_devices(request, filters: Query[ListFilter]):
    """Your devices and those shared with you; staff add ``fleet=true`` for every device."""
    found = services.list_devices(
        request.actor, fleet=filters.fleet, limit=filters.limit, offset=filters.offset
    )
    return [_device_out(d) for d in found]


@router.post("/provision", response={201: list[ProvisionedOut]})
def provision(request, payload: ProvisionIn):
    """Staff: identities for a production run. Secrets and claim tokens are shown only in this answer."""
    request.actor.require_staff()
    issued = services.provision_batch(
        model_code=payload.model_code, serials=payload.serials, batch=payload.batch
    )
    return Status(201, [ProvisionedOut(**p.__dict__) for p in issued])


@router.post("/claim", response={201: DeviceOut})
def claim(request, payload: ClaimIn):
    """Scan the QR code in the box: binds a sold unit to you with its one-time token."""
    return Status(
        201, _device_out(services.claim_device(request.actor, payload.device_id, payload.claim_token))
    )


@router.get("/homes", response=list[HomeOut])
def list_homes(request):
    return [_home_out(h) for h in services.list_homes(request.actor)]


@router.post("/homes", response={201: HomeOut})
def create_home(request, payload: HomeIn):
    return Status(201, _home_out(services.create_home(request.actor, payload.name, payload.time_zone)))


@router.get("/homes/{home_id}/automations", response=list[AutomationOut])
def list_automations(request, home_id: ObjectId):
    return [_automation_out(a) for a in services.list_automations(request.actor, home_id)]


@router.post("/homes/{home_id}/automations", response={201: AutomationOut})
def create_automation(request, home_id: ObjectId, payload: AutomationIn):
    automation = services.create_automation(request.actor, home_id, **payload.model_dump())
    return Status(201, _automation_out(automation))


@router.put("/automations/{automation_id}", response=AutomationOut)
def enable_automation(request, automation_id: ObjectId, payload: EnabledIn):
    return _automation_out(services.set_automation_enabled(request.actor, automation_id, payload.enabled))


@router.delete("/automations/{automation_id}", response={204: None})
def delete_automation(request, automation_id: ObjectId):
    services.delete_automation(request.actor, automation_id)
    return Status(204, None)


@router.get("/notifications", response=list[NotificationOut])
def notifications(request):
    return [
        NotificationOut(id=n.pk, message=n.message, automation_id=n.automation_id, created_at=n.created_at)
        for n in services.notifications_for(request.actor)
    ]


@router.get("/fleet/connected", response=ConnectedOut)
def fleet_connected(request):
    """Staff: devices online now, grouped by model, region and firmware."""
    return ConnectedOut(**services.connected_now(request.actor))


@router.get("/fleet/activations", response=list[DayCount])
def fleet_activations(request, filters: Query[DaysFilter]):
    return [DayCount(day=d, count=c) for d, c in services.activations_per_day(request.actor, filters.days)]


@router.get("/fleet/batches", response=list[BatchOut])
def fleet_batches(request):
    """Staff: failure rate (returns, failed updates) per production batch, for quality control."""
    return [BatchOut(**row) for row in services.failures_by_batch(request.actor)]


@router.get("/firmware", response=list[FirmwareOut])
def list_firmware(request):
    request.actor.require_staff()
    return [_firmware_out(f) for f in Firmware.objects.select_related("device_model").order_by("-pk")[:200]]


@router.post("/firmware", response={201: FirmwareOut})
def upload_firmware(request, payload: FirmwareIn):
    firmware = services.upload_firmware(request.actor, **payload.model_dump())
    return Status(201, _firmware_out(firmware))


@router.post("/rollouts", response={201: RolloutOut})
def start_rollout(request, payload: RolloutIn):
    rollout = services.start_rollout(
        request.actor,
        payload.firmware_id,
        steps=payload.steps,
        rate_per_minute=payload.rate_per_minute,
        failure_threshold=str(payload.failure_threshold),
        min_finished=payload.min_finished,
    )
    return Status(201, _rollout_out(services.get_rollout(request.actor, rollout.pk)))


@router.get("/rollouts/{rollout_id}", response=RolloutOut)
def get_rollout(request, rollout_id: ObjectId):
    return _rollout_out(services.get_rollout(request.actor, rollout_id))


@router.post("/rollouts/{rollout_id}/{verb}", response=list[RolloutOut])
def change_rollout(request, rollout_id: ObjectId, verb: Literal["abort", "pause", "resume", "rollback"]):
    """abort, pause, resume, or rollback (answers with the rollouts that take the units back)."""
    actor = request.actor
    if verb == "abort":
        changed = [services.abort_rollout(actor, rollout_id)]
    elif verb in ("pause", "resume"):
        changed = [services.pause_rollout(actor, rollout_id, verb == "pause")]
    else:
        changed = services.rollback_rollout(actor, rollout_id)
    return [_rollout_out(services.get_rollout(actor, r.pk)) for r in changed]


# --- one device ----------------------------------------------------------------------------------


@router.get("/{device_id}", response=DeviceOut)
def device_detail(request, device_id: DeviceId):
    return _device_out(services.device_for_viewer(request.actor, device_id))


@router.post("/{device_id}/revoke", response=DeviceOut)
def revoke(request, device_id: DeviceId):
    """Staff: the device can no longer connect; the broker drops it at once."""
    services.revoke_device(request.actor, device_id)
    return _device_out(services.device_for_viewer(request.actor, device_id))


@router.post("/{device_id}/secret", response={201: ProvisionedOut})
def rotate_secret(request, device_id: DeviceId):
    """Staff: a new secret for a unit whose secret leaked (also re-enables a revoked unit)."""
    return Status(201, ProvisionedOut(**services.rotate_secret(request.actor, device_id).__dict__))


@router.post("/{device_id}/claim-token", response={201: TokenOut})
def reissue_claim_token(request, device_id: DeviceId):
    """Staff: a new QR token for an unbound unit; the old one stops working."""
    return Status(201, TokenOut(claim_token=services.reissue_claim_token(request.actor, device_id)))


@router.post("/{device_id}/release", response=TokenOut)
def release(request, device_id: DeviceId):
    """Owner: unbind (e.g. to sell it on); your data for it is wiped. Hand the token to the new owner."""
    return TokenOut(claim_token=services.release_device(request.actor, device_id))


@router.put("/{device_id}/home", response=DeviceOut)
def place(request, device_id: DeviceId, payload: PlaceIn):
    services.place_device(request.actor, device_id, payload.home_id)
    return _device_out(services.device_for_viewer(request.actor, device_id))


@router.get("/{device_id}/shadow", response=ShadowOut)
def shadow(request, device_id: DeviceId):
    return ShadowOut(**services.get_shadow(request.actor, device_id).__dict__)


@router.post("/{device_id}/properties", response={202: CommandOut})
def set_properties(request, device_id: DeviceId, payload: SetIn):
    """Change writable properties: the desired shadow moves now, the device follows when it acks."""
    command = services.request_set(
        request.actor,
        device_id,
        payload.props,
        ttl_seconds=payload.ttl_seconds,
        expected_version=payload.expected_version,
    )
    return Status(202, _command_out(command))


@router.post("/{device_id}/actions", response={202: CommandOut})
def run_action(request, device_id: DeviceId, payload: ActionIn):
    command = services.request_action(
        request.actor, device_id, payload.action, payload.args, ttl_seconds=payload.ttl_seconds
    )
    return Status(202, _command_out(command))


@router.get("/{device_id}/commands", response=list[CommandOut])
def list_commands(request, device_id: DeviceId):
    return [_command_out(c) for c in services.list_commands(request.actor, device_id)]


@router.get("/{device_id}/commands/{command_id}", response=CommandOut)
def command_detail(request, device_id: DeviceId, command_id: Annotated[str, Field(max_length=32)]):
    return _command_out(services.get_command(request.actor, command_id, device_id=device_id))


@router.get("/{device_id}/shares", response=list[ShareOut])
def list_shares(request, device_id: DeviceId):
    return [ShareOut(username=u, role=r) for u, r in services.shares_of(request.actor, device_id)]


@router.put("/{device_id}/shares", response=ShareOut)
def share(request, device_id: DeviceId, payload: ShareIn):
    """Owner: share with a family member, read-only or with control."""
    services.share_device(request.actor, device_id, payload.username, payload.role)
    return ShareOut(username=payload.username, role=payload.role)


@router.delete("/{device_id}/shares/{username}", response={204: None})
def unshare(request, device_id: DeviceId, username: Username):
    services.unshare_device(request.actor, device_id, username)
    return Status(204, None)
