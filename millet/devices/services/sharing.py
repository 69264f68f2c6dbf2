"""Sharing a device by invitation: the owner invites a person by username or email with a role, the
person accepts (and becomes a member, a ``DeviceShare``) or declines.

The owner's answer is the same whether or not the person exists (``invite`` returns nothing and
raises nothing about the invitee), so the form cannot be used to learn who has an account; only the
invitee ever sees the invitation. A member with ``read`` may look at the device; commands need
``control`` (``ownership.device_with_role``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from millet.accounts.actor import Actor
from millet.accounts.services import user_id_for_login, usernames
from millet.core.errors import NotFound, Unprocessable
from millet.devices.models import DeviceInvitation, DeviceShare, Notification
from millet.devices.services.ownership import CONTROL, OWN, READ, device_with_role

MAX_LOGIN_LENGTH = 254  # an email address at most


@dataclass(frozen=True)
class InvitationInfo:
    invitation_id: int
    device_id: str
    serial: str
    model_urn: str
    invited_by: str  # the owner's username
    role: str  # read | control
    created_at: datetime


def invite(actor: Actor, device_id: str, login: str, role: str) -> None:
    """Invite the person with username or email ``login`` to ``device_id`` (the actor's own) as ``role``.

    Raises ``Unprocessable`` (``invalid_role``, ``invalid_login``) for a malformed request and
    ``NotFound``/``Forbidden`` for a device the actor does not own; nothing at all about the invitee:
    an unknown person, the owner themselves, or a member already are answered like anyone else.
    A new invitation to the same person replaces a pending one (with its role).
    """
    if role not in (READ, CONTROL):
        raise Unprocessable("role must be read or control", code="invalid_role")
    if not isinstance(login, str) or not 1 <= len(login.strip()) <= MAX_LOGIN_LENGTH:
        raise Unprocessable(
            f"give a username or email of 1 to {MAX_LOGIN_LENGTH} characters", code="invalid_login"
        )
    device = device_with_role(actor, device_id, OWN)
    invitee = user_id_for_login(login)
    if invitee is None or invitee == device.owner_id:
        return
    try:
        with transaction.atomic():
            pending = DeviceInvitation.objects.select_for_update().filter(
                device=device, invitee_id=invitee, status=DeviceInvitation.Status.PENDING
            )
            if pending.update(role=role, invited_by_id=actor.user_id):
                return
            DeviceInvitation.objects.create(
                device=device, invited_by_id=actor.user_id, invitee_id=invitee, role=role
            )
            owner = usernames([device.owner_id]).get(device.owner_id, "")
            message = f"{owner} invited you to share their device {device.serial}."
            Notification.objects.create(user_id=invitee, message=message[:256])
    except IntegrityError:  # the same invitation made at the same moment: one of them stands
        return


def invitations_for(actor: Actor) -> list[InvitationInfo]:
    """The invitations waiting for the actor's answer, newest first."""
    if actor.user_id is None:
        return []
    pending = (
        DeviceInvitation.objects.filter(invitee_id=actor.user_id, status=DeviceInvitation.Status.PENDING)
        .select_related("device")
        .order_by("-pk")
    )
    names = usernames(i.invited_by_id for i in pending)
    return [
        InvitationInfo(
            i.pk,
            i.device.device_id,
            i.device.serial,
            i.device.model_urn,
            names.get(i.invited_by_id, ""),
            i.role,
            i.created_at,
        )
        for i in pending
    ]


def answer_invitation(actor: Actor, invitation_id: int, accept: bool) -> None:
    """The invitee accepts (becoming a member with the invitation's role) or declines.

    Raises ``NotFound`` (``unknown_invitation``) for anyone else's invitation, an unknown id, or one
    already answered, and when the device changed hands since the invitation was made.
    """
    with transaction.atomic():
        invitation = (
            DeviceInvitation.objects.select_for_update()
            .select_related("device")
            .filter(pk=invitation_id, invitee_id=actor.user_id, status=DeviceInvitation.Status.PENDING)
            .first()
        )
        if (
            invitation is None
            or actor.user_id is None
            or invitation.device.owner_id != invitation.invited_by_id
        ):
            raise NotFound("unknown invitation", code="unknown_invitation")
        invitation.status = DeviceInvitation.Status.ACCEPTED if accept else DeviceInvitation.Status.DECLINED
        invitation.answered_at = timezone.now()
        invitation.save(update_fields=["status", "answered_at"])
        if accept:
            DeviceShare.objects.update_or_create(
                device=invitation.device, user_id=actor.user_id, defaults={"role": invitation.role}
            )
