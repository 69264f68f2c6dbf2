"""HTTP routes of the device cloud; thin over ``millet.devices.services``.

Owners see and control only their devices (and those shared with them); staff see the fleet, manage
identities, firmware and rollouts, but never command a customer's device.
"""

from __future__ import annotations

from typing import Annotated, Literal

from ninja import Field, Query, Router, Status

from millet.core.types import IdempotencyKey
from millet.devices import services
from millet.devices.models import Automation, Command, Firmware, Home, Rollout
from millet.devices.schemas import (
    ActionIn,
    AutomationIn,
    AutomationOut,
    BatchOut,
    ClaimTokenOut,
    CommandOut,
    ConnectedOut,
    DayCount,
    DaysFilter,
    DeviceClaimIn,
    DeviceId,
    EnabledIn,
    FirmwareIn,
    FirmwareOut,
    HomeIn,
    HomeOut,
    InvitationOut,
    InviteIn,
    ListFilter,
    NotificationOut,
    ObjectId,
    PlaceIn,
    ProvisionIn,
    RolloutIn,
    RolloutOut,
    SentInvitationOut,
    SetIn,
    ShareOut,
    Username,
)

router = Router(tags=["devices"])


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


def _firmware_outs(images: list[Firmware]) -> list[FirmwareOut]:
    codes = services.firmware_model_urns(images)
    return [_firmware_out(f, codes[f.device_model_id]) for f in images]


def _firmware_out(f: Firmware, model_urn: str) -> FirmwareOut:
    return FirmwareOut(
        id=f.pk,
        model_urn=model_urn,
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


@router.get("/", response=list[services.DeviceInfo])
def list_devices(request, filters: Query[ListFilter]):
    """Your devices and those shared with you; staff add ``fleet=true`` for every device."""
    found = services.list_devices(
        request.actor, fleet=filters.fleet, limit=filters.limit, offset=filters.offset
    )
    return found


@router.post("/provision", response={201: list[services.ProvisionedDevice]})
def provision(request, payload: ProvisionIn):
    """Staff: identities for a production run. Secrets and claim tokens are shown only in this answer."""
    issued = services.provision_batch(
        actor=request.actor, model_urn=payload.model_urn, serials=payload.serials, batch=payload.batch
    )
    return Status(201, [p for p in issued])


@router.post("/claim", response={201: services.DeviceInfo})
def claim(request, payload: DeviceClaimIn):
    """Scan the QR code in the box: binds a sold unit to you with its one-time token."""
    return Status(201, services.claim_device(request.actor, payload.device_id, payload.claim_token))


@router.get("/homes", response=list[HomeOut])
def list_homes(request):
    return [_home_out(h) for h in services.list_homes(request.actor)]


@router.post("/homes", response={201: HomeOut})
def create_home(request, payload: HomeIn, idempotency_key: IdempotencyKey = None):
    """A home of yours. A resend with the same ``Idempotency-Key`` answers with the first home and
    makes none twice; the key with another request is 409 ``idempotency_key_reused``."""
    home = services.create_home(
        request.actor, payload.name, payload.time_zone, idempotency_key=idempotency_key
    )
    return Status(201, _home_out(home))


@router.get("/homes/{home_id}/automations", response=list[AutomationOut])
def list_automations(request, home_id: ObjectId):
    return [_automation_out(a) for a in services.list_automations(request.actor, home_id)]


@router.post("/homes/{home_id}/automations", response={201: AutomationOut})
def create_automation(
    request, home_id: ObjectId, payload: AutomationIn, idempotency_key: IdempotencyKey = None
):
    """An automation in your home. A resend with the same ``Idempotency-Key`` answers with the first
    automation and makes none twice; the key with another request is 409 ``idempotency_key_reused``."""
    automation = services.create_automation(
        request.actor, home_id, idempotency_key=idempotency_key, **payload.model_dump()
    )
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


@router.get("/invitations", response=list[InvitationOut])
def my_invitations(request):
    """The invitations to share someone's device waiting for your answer, newest first."""
    return services.invitations_for(request.actor)


@router.post("/invitations/{invitation_id}/{verdict}", response={204: None})
def answer_invitation(request, invitation_id: ObjectId, verdict: Literal["accept", "decline"]):
    """Accept (you become a member with the invitation's role) or decline an invitation of yours;
    404 ``unknown_invitation`` for anyone else's, an answered or a revoked one."""
    services.answer_invitation(request.actor, invitation_id, verdict == "accept")
    return Status(204, None)


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
    return _firmware_outs(services.list_firmware(request.actor))


@router.post("/firmware", response={201: FirmwareOut})
def upload_firmware(request, payload: FirmwareIn):
    firmware = services.upload_firmware(request.actor, **payload.model_dump())
    return Status(201, _firmware_outs([firmware])[0])


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


@router.get("/{device_id}", response=services.DeviceInfo)
def device_detail(request, device_id: DeviceId):
    return services.device_for_viewer(request.actor, device_id)


@router.post("/{device_id}/revoke", response=services.DeviceInfo)
def revoke(request, device_id: DeviceId):
    """Staff: the device can no longer connect; the broker drops it at once."""
    services.revoke_device(request.actor, device_id)
    return services.device_for_viewer(request.actor, device_id)


@router.post("/{device_id}/secret", response={201: services.ProvisionedDevice})
def rotate_secret(request, device_id: DeviceId):
    """Staff: a new secret for a unit whose secret leaked (also re-enables a revoked unit)."""
    return Status(201, services.rotate_secret(request.actor, device_id))


@router.post("/{device_id}/claim-token", response={201: ClaimTokenOut})
def reissue_claim_token(request, device_id: DeviceId):
    """Staff: a new QR token for an unbound unit; the old one stops working."""
    return Status(201, ClaimTokenOut(claim_token=services.reissue_claim_token(request.actor, device_id)))


@router.post("/{device_id}/release", response=ClaimTokenOut)
def release(request, device_id: DeviceId):
    """Owner: unbind (e.g. to sell it on); your data for it is wiped. Hand the token to the new owner."""
    return ClaimTokenOut(claim_token=services.release_device(request.actor, device_id))


@router.put("/{device_id}/home", response=services.DeviceInfo)
def place(request, device_id: DeviceId, payload: PlaceIn):
    services.place_device(request.actor, device_id, payload.home_id)
    return services.device_for_viewer(request.actor, device_id)


@router.get("/{device_id}/shadow", response=services.ShadowState)
def shadow(request, device_id: DeviceId):
    return services.get_shadow(request.actor, device_id)


@router.post("/{device_id}/properties", response={202: CommandOut})
def set_properties(request, device_id: DeviceId, payload: SetIn, idempotency_key: IdempotencyKey = None):
    """Change writable properties: the desired shadow moves now, the device follows when it acks. A
    resend with the same ``Idempotency-Key`` answers with the first command and queues none twice;
    the key with another request is 409 ``idempotency_key_reused``."""
    command = services.request_set(
        request.actor,
        device_id,
        payload.props,
        ttl_seconds=payload.ttl_seconds,
        expected_version=payload.expected_version,
        idempotency_key=idempotency_key,
    )
    return Status(202, _command_out(command))


@router.post("/{device_id}/actions", response={202: CommandOut})
def run_action(request, device_id: DeviceId, payload: ActionIn, idempotency_key: IdempotencyKey = None):
    """Run one of the device's actions (a snapshot, a reboot). A resend with the same
    ``Idempotency-Key`` answers with the first command and runs nothing twice; the key with another
    request is 409 ``idempotency_key_reused``."""
    command = services.request_action(
        request.actor,
        device_id,
        payload.action,
        payload.args,
        ttl_seconds=payload.ttl_seconds,
        idempotency_key=idempotency_key,
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
    """Owner: the members of this device (those who accepted an invitation) and their roles."""
    return [ShareOut(username=u, role=r) for u, r in services.shares_of(request.actor, device_id)]


@router.get("/{device_id}/invitations", response=list[SentInvitationOut])
def sent_invitations(request, device_id: DeviceId):
    """Owner: the invitations to this device still waiting for an answer, newest first."""
    return services.invitations_sent(request.actor, device_id)


@router.post("/{device_id}/invitations", response={202: SentInvitationOut})
def invite(request, device_id: DeviceId, payload: InviteIn):
    """Owner: invite a family member by username or email, read-only or with control. They become a
    member when they accept. The answer is the same whether or not the login names an account."""
    return Status(202, services.invite(request.actor, device_id, payload.login, payload.role))


@router.delete("/{device_id}/invitations/{invitation_id}", response={204: None})
def revoke_invitation(request, device_id: DeviceId, invitation_id: ObjectId):
    """Owner: withdraw a pending invitation; 404 ``unknown_invitation`` once it is answered."""
    services.revoke_invitation(request.actor, device_id, invitation_id)
    return Status(204, None)


@router.delete("/{device_id}/shares/{username}", response={204: None})
def unshare(request, device_id: DeviceId, username: Username):
    services.unshare_device(request.actor, device_id, username)
    return Status(204, None)
