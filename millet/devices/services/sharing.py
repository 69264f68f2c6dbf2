"""Sharing a device by invitation: the owner invites a person by username or email with a role, the
person accepts (and becomes a member, a ``DeviceShare``) or declines, and the owner may revoke an
invitation still pending.

The owner's answer is the same whether or not the person exists: ``invite`` records the login as
typed and returns the same ``SentInvitation`` for anyone, and ``invitations_sent`` lists it pending
until the invitee answers or the owner revokes it (an invitation naming nobody stays pending). So
neither the form nor the API can be used to learn who has an account; only the invitee ever sees the
invitation, and only their own answer tells the owner anything. A member with ``read`` may look at
the device; commands need ``control`` (``ownership.device_with_role``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from millet.accounts.actor import Actor
from millet.accounts.services import user_id_for_login, usernames
from millet.core.errors import NotFound, Unprocessable
from millet.core.integrity import created_or_found
from millet.devices.models import DeviceInvitation, DeviceShare, Notification
from millet.devices.services.ownership import CONTROL, OWN, READ, device_with_role

MAX_LOGIN_LENGTH = 254  # an email address at most


@dataclass(frozen=True)
class InvitationInfo:
    """An invitation as its invitee sees it."""

    invitation_id: int
    device_id: str
    serial: str
    model_urn: str
    invited_by: str  # the owner's username
    role: str  # read | control
    created_at: datetime


@dataclass(frozen=True)
class SentInvitation:
    """An invitation as its owner sees it: the login they typed, never whether it names anyone."""

    invitation_id: int
    login: str  # the username or email as the owner typed it (trimmed)
    role: str  # read | control
    created_at: datetime


def _sent(invitation: DeviceInvitation) -> SentInvitation:
    return SentInvitation(invitation.pk, invitation.login, invitation.role, invitation.created_at)


def invite(actor: Actor, device_id: str, login: str, role: str) -> SentInvitation:
    """Invite the person with username or email ``login`` to ``device_id`` (the actor's own) as ``role``.

    Returns the pending invitation as the owner sees it. Raises ``Unprocessable`` (``invalid_role``,
    ``invalid_login``) for a malformed request and ``NotFound``/``Forbidden`` for a device the actor
    does not own; nothing at all about the invitee: an unknown person, the owner themselves, or a
    member already are answered like anyone else (the invitation then reaches nobody, or lets a
    member change role). A new invitation with the same login replaces the pending one's role.
    """
    if role not in (READ, CONTROL):
        raise Unprocessable("role must be read or control", code="invalid_role")
    if not isinstance(login, str) or not 1 <= len(login.strip()) <= MAX_LOGIN_LENGTH:
        raise Unprocessable(
            f"give a username or email of 1 to {MAX_LOGIN_LENGTH} characters", code="invalid_login"
        )
    login = login.strip()
    device = device_with_role(actor, device_id, OWN)
    invitee = user_id_for_login(login)
    if invitee == device.owner_id:
        invitee = None
    pending = DeviceInvitation.objects.filter(
        device=device, login=login, status=DeviceInvitation.Status.PENDING
    )

    def invite_once() -> DeviceInvitation:
        if pending.select_for_update().update(role=role, invited_by_id=actor.user_id):
            return pending.get()
        invitation = DeviceInvitation.objects.create(
            device=device, invited_by_id=actor.user_id, login=login, invitee_id=invitee, role=role
        )
        if invitee is not None:
            owner = usernames([device.owner_id]).get(device.owner_id, "")
            message = f"{owner} invited you to share their device {device.serial}."
            Notification.objects.create(user_id=invitee, message=message[:256])
        return invitation

    # The same invitation made at the same moment: one of them stands.
    return _sent(created_or_found(invite_once, pending.first))


def invitations_sent(actor: Actor, device_id: str) -> list[SentInvitation]:
    """The invitations to ``device_id`` (the actor's own) still waiting for an answer, newest first.

    Raises ``NotFound``/``Forbidden`` for a device the actor does not own.
    """
    device = device_with_role(actor, device_id, OWN)
    pending = device.invitations.filter(status=DeviceInvitation.Status.PENDING).order_by("-pk")
    return [_sent(i) for i in pending]


def revoke_invitation(actor: Actor, device_id: str, invitation_id: int) -> None:
    """The owner withdraws a pending invitation to ``device_id``; the invitee can no longer accept it.

    Raises ``NotFound`` (``unknown_invitation``) for an id that is not a pending invitation to this
    device, and ``NotFound``/``Forbidden`` for a device the actor does not own.
    """
    device = device_with_role(actor, device_id, OWN)
    revoked = device.invitations.filter(pk=invitation_id, status=DeviceInvitation.Status.PENDING).update(
        status=DeviceInvitation.Status.REVOKED, answered_at=timezone.now()
    )
    if not revoked:
        raise NotFound("unknown invitation", code="unknown_invitation")


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
    if actor.user_id is None:
        raise NotFound("unknown invitation", code="unknown_invitation")
    with transaction.atomic():
        invitation = (
            DeviceInvitation.objects.select_for_update()
            .select_related("device")
            .filter(pk=invitation_id, invitee_id=actor.user_id, status=DeviceInvitation.Status.PENDING)
            .first()
        )
        if invitation is None or invitation.device.owner_id != invitation.invited_by_id:
            raise NotFound("unknown invitation", code="unknown_invitation")
        invitation.status = DeviceInvitation.Status.ACCEPTED if accept else DeviceInvitation.Status.DECLINED
        invitation.answered_at = timezone.now()
        invitation.save(update_fields=["status", "answered_at"])
        if accept:
            DeviceShare.objects.update_or_create(
                device=invitation.device, user_id=actor.user_id, defaults={"role": invitation.role}
            )
