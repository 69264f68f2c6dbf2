"""The device cloud's own tables: identities, who owns what, shadow state, commands, automations, OTA.

Telemetry history is not here: it lives in the ``telemetry`` app, which only knows device ids.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Device(models.Model):
    """One connected unit: its factory identity (serial, model, batch, secret) and its current owner.

    ``device_id`` is derived from the model and serial at provisioning and is also the MQTT client id
    and username. Only a salted SHA-256 of the secret is kept (see ``services.identity``).
    """

    device_id = models.CharField(_("device ID"), max_length=32, unique=True)
    serial = models.CharField(_("serial number"), max_length=32, unique=True)
    device_model = models.ForeignKey(
        "catalog.DeviceModel",
        on_delete=models.PROTECT,
        related_name="devices",
        verbose_name=_("device model"),
    )
    model_urn = models.CharField(
        _("model URN"), max_length=128, help_text=_("The model's URN, kept so reads need no join.")
    )
    batch = models.CharField(
        _("batch"), max_length=32, db_index=True, help_text=_("Production batch, for quality control.")
    )
    secret_salt = models.CharField(_("secret salt"), max_length=32)
    secret_hash = models.CharField(_("secret hash"), max_length=64)
    enabled = models.BooleanField(
        _("enabled"), default=True, help_text=_("False once revoked: the broker refuses it.")
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    provisioned_at = models.DateTimeField(_("provisioned at"), auto_now_add=True)
    claim_salt = models.CharField(_("claim salt"), max_length=32, blank=True)
    claim_hash = models.CharField(
        _("claim hash"), max_length=64, blank=True, help_text=_("Empty once the claim token is used.")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="devices",
        verbose_name=_("owner"),
    )
    home = models.ForeignKey(
        "Home",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="devices",
        verbose_name=_("home"),
    )
    room = models.CharField(
        _("room"), max_length=64, blank=True, help_text=_("The owner's name for its room in the home.")
    )
    bound_at = models.DateTimeField(_("bound at"), null=True, blank=True)
    activated_at = models.DateTimeField(
        _("activated at"), null=True, blank=True, help_text=_("First binding to an owner.")
    )
    region = models.CharField(
        _("region"), max_length=8, blank=True, help_text=_("Market the unit was sold in.")
    )
    firmware_version = models.CharField(_("firmware version"), max_length=32, default="1.0.0")
    online = models.BooleanField(_("online"), default=False)
    last_seen = models.DateTimeField(_("last seen"), null=True, blank=True)
    faults = models.PositiveIntegerField(
        _("faults"), default=0, help_text=_("Failed OTA updates and returns: feeds QC.")
    )

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        indexes = [
            models.Index(fields=["online", "model_urn"]),
            models.Index(fields=["activated_at"]),
        ]

    def __str__(self) -> str:
        return self.device_id


class UnitSale(models.Model):
    """What sales told us: this serial was handed to this customer on this order (until returned)."""

    serial = models.CharField(_("serial number"), max_length=32, unique=True)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("customer"),
    )
    order_number = models.CharField(_("order number"), max_length=32)
    region = models.CharField(_("region"), max_length=8, blank=True)
    sold_at = models.DateTimeField(_("sold at"))
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)

    class Meta:
        verbose_name = _("unit sale")
        verbose_name_plural = _("unit sales")

    def __str__(self) -> str:
        return f"{self.serial} on {self.order_number}"


class DeviceShare(models.Model):
    """A family member's access to someone else's device: look only, or also control."""

    class Role(models.TextChoices):
        READ = "read", _("Look only")
        CONTROL = "control", _("Look and control")

    device = models.ForeignKey(
        Device, on_delete=models.CASCADE, related_name="shares", verbose_name=_("device")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="device_shares",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=8, choices=Role.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("device share")
        verbose_name_plural = _("device shares")
        constraints = [models.UniqueConstraint(fields=["device", "user"], name="one_share_per_device_user")]


class DeviceInvitation(models.Model):
    """An owner's offer to share a device with the person behind a username or email, who accepts or
    declines it; the owner may revoke it while it is pending.

    Made for whatever ``login`` the owner typed: ``invitee`` is the person it named at that moment,
    or null when it named nobody, and such an invitation simply stays pending. The owner sees the
    same record either way (``services.sharing.invite``, ``invitations_sent``), so an invitation
    never tells whether an account exists; only the invitee's own answer does. Accepting turns it
    into a ``DeviceShare`` with its role.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", pgettext_lazy("device invitation", "Declined")  # not a loan's refusal
        REVOKED = "revoked", _("Revoked")

    device = models.ForeignKey(
        Device, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("device")
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("invited by")
    )
    # the username or email as the owner typed it
    login = models.CharField(_("username or email"), max_length=254)
    invitee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("invitee"),
    )
    role = models.CharField(_("role"), max_length=8, choices=DeviceShare.Role.choices)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("device invitation")
        verbose_name_plural = _("device invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["device", "login"],
                condition=models.Q(status="pending"),
                name="one_pending_invitation_per_device_login",
            )
        ]


class Home(models.Model):
    """A place with devices; automations run per home, in its time zone."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="homes", verbose_name=_("owner")
    )
    name = models.CharField(_("name"), max_length=64)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")

    class Meta:
        verbose_name = _("home")
        verbose_name_plural = _("homes")

    def __str__(self) -> str:
        return self.name


class Shadow(models.Model):
    """Desired (what the owner asked for) and reported (what the device said) state, each versioned.

    Reported values are merged per property by device time, then seq (``services.reported``).
    """

    device = models.OneToOneField(
        Device, on_delete=models.CASCADE, primary_key=True, related_name="shadow", verbose_name=_("device")
    )
    desired = models.JSONField(_("desired state"), default=dict, blank=True)
    desired_version = models.PositiveIntegerField(_("desired version"), default=0)
    reported = models.JSONField(_("reported state"), default=dict, blank=True)
    reported_stamps = models.JSONField(
        _("reported stamps"),
        default=dict,
        blank=True,
        help_text=_("Per reported property: [device time, seq] of the report its value came from."),
    )
    reported_version = models.PositiveIntegerField(_("reported version"), default=0)
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    event_stamp = models.JSONField(
        _("event stamp"),
        default=list,
        blank=True,
        help_text=_("[device time, seq] of the newest event the device reported."),
    )

    class Meta:
        verbose_name = _("device shadow")
        verbose_name_plural = _("device shadows")


class CommandQuerySet(models.QuerySet):
    def close(self, status: str, now: datetime, result: dict | None = None) -> list[int]:
        """Close the open commands among these as ``status`` at ``now`` (with ``result`` if given) and
        delete their ``OpenCommand`` rows, the two in step; returns the pks closed. Commands closed
        meanwhile are left as they are. (The PostgreSQL hand-out and answer statements do the same
        in SQL.)"""
        closed = list(self.filter(finished_at__isnull=True).values_list("pk", flat=True))
        if closed:
            changes = {"status": status, "finished_at": now} | ({} if result is None else {"result": result})
            Command.objects.filter(pk__in=closed, finished_at__isnull=True).update(**changes)
            OpenCommand.objects.filter(command_id__in=closed).delete()
        return closed


class Command(models.Model):
    """A message to one device, retried until acknowledged, out of attempts, or expired.

    Every hand-out and answer rewrites hundreds of rows, and each index costs a write per row, so there
    are only the ones something reads: ``command_id`` is unique through a constraint (a unique field
    would add a second, pattern-matching index nothing uses), the author has no index, and the open
    commands are found through ``OpenCommand`` rather than an index here.

    No index reads a column that a hand-out (status queued -> sent, attempts, next attempt) or an
    answer (status, ``finished_at``, result) changes, so on PostgreSQL both are HOT updates: the new
    row version goes on the same page and no index is written at all. That is why the table keeps room
    on each page (``FILLFACTOR`` in migrations 0009 and 0010). The constraint
    ``devices_command_open_unfinished`` keeps the two marks of an open command (an open status, no
    ``finished_at``) in step; ``finished_at IS NULL`` is the truth the services check.
    """

    class Kind(models.TextChoices):
        SET = "set", _("Set properties")
        ACTION = "action", _("Action")
        OTA = "ota", _("OTA update")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        ACKED = "acked", _("Acknowledged")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", pgettext_lazy("device command", "Cancelled")  # not an order's

    command_id = models.CharField(_("command ID"), max_length=32)
    device = models.ForeignKey(
        Device, on_delete=models.CASCADE, related_name="commands", verbose_name=_("device")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    params = models.JSONField(_("parameters"), default=dict)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveIntegerField(_("maximum attempts"), default=5)
    retry_seconds = models.PositiveIntegerField(_("retry interval (seconds)"), default=10)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    expires_at = models.DateTimeField(_("expires at"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # nothing looks commands up by author; deleting a user may scan them once
        verbose_name=_("created by"),
    )
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)

    objects = CommandQuerySet.as_manager()

    class Meta:
        verbose_name = _("command")
        verbose_name_plural = _("commands")
        constraints = [
            models.UniqueConstraint(fields=["command_id"], name="devices_command_id_unique"),
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "sent"], finished_at__isnull=True)
                | (~models.Q(status__in=["queued", "sent"]) & models.Q(finished_at__isnull=False)),
                name="devices_command_open_unfinished",
            ),
        ]

    def __str__(self) -> str:
        return self.command_id


class OpenCommand(models.Model):
    """One open (queued or sent) command: the open commands' index, kept as a table of its own.

    A partial index on ``Command`` (``finished_at IS NULL``) served this until migration 0010, but
    closing a command changed the column of its condition, so every answer was a full (not HOT)
    update: a new row version elsewhere and an entry in each of the table's three other indexes (1,500
    index writes per 500 answers). Here a command's row is inserted with the command and deleted when
    it closes (a delete writes no index entry), in the same transaction; ``expires_at`` is the
    command's, fixed for its life, copied so that expiry needs no visit to the commands themselves.

    ``out_of_attempts`` is set by the hand-out that sends a command's last attempt, once in its life:
    only such a command can time out, so the hand-out looks for timeouts among these few rows (a
    partial index) rather than visiting every open command on each call (migration 0011). Whether
    one has timed out is still decided on the command itself (its status, attempts and next attempt,
    which a reconnection or a ``progress`` answer may move).
    """

    command = models.OneToOneField(
        Command,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="open_entry",
        verbose_name=_("command"),
    )
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    out_of_attempts = models.BooleanField(_("out of attempts"), default=False)

    class Meta:
        verbose_name = _("open command")
        verbose_name_plural = _("open commands")
        indexes = [
            models.Index(
                fields=["expires_at"],
                condition=models.Q(out_of_attempts=True),
                name="devices_opencommand_last",
            )
        ]

    def __str__(self) -> str:
        return str(self.command_id)


class Automation(models.Model):
    """When <trigger> and <conditions>, do <actions>: the owner's scene, checked against their devices."""

    class Trigger(models.TextChoices):
        PROPERTY = "property", _("Property")
        EVENT = "event", _("Event")
        TIME = "time", _("Time")

    home = models.ForeignKey(
        Home, on_delete=models.CASCADE, related_name="automations", verbose_name=_("home")
    )
    name = models.CharField(_("name"), max_length=64)
    enabled = models.BooleanField(_("enabled"), default=True)
    trigger_type = models.CharField(_("trigger type"), max_length=8, choices=Trigger.choices)
    trigger_device = models.ForeignKey(
        Device,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="triggered_automations",
        verbose_name=_("trigger device"),
    )
    trigger = models.JSONField(
        _("trigger"), help_text=_("property: {property, op, value}; event: {event}; time: {at}")
    )
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    actions = models.JSONField(_("actions"))
    last_fired_at = models.DateTimeField(_("last fired at"), null=True, blank=True)
    fired_count = models.PositiveIntegerField(_("times fired"), default=0)

    class Meta:
        verbose_name = _("automation")
        verbose_name_plural = _("automations")
        indexes = [models.Index(fields=["trigger_device", "trigger_type", "enabled"])]

    def __str__(self) -> str:
        return self.name


class Notification(models.Model):
    """A message an automation left for a person (the app would push it)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    automation = models.ForeignKey(
        Automation, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("automation")
    )
    message = models.CharField(_("message"), max_length=256)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")


class Firmware(models.Model):
    """A firmware image for one device model; devices fetch it from ``url`` and check ``sha256``."""

    device_model = models.ForeignKey(
        "catalog.DeviceModel",
        on_delete=models.PROTECT,
        related_name="firmware",
        verbose_name=_("device model"),
    )
    version = models.CharField(_("version"), max_length=32)
    url = models.URLField(_("download URL"), max_length=300)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    notes = models.TextField(_("release notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("firmware")
        verbose_name_plural = _("firmware")
        constraints = [
            models.UniqueConstraint(fields=["device_model", "version"], name="one_firmware_per_model_version")
        ]

    def __str__(self) -> str:
        return f"{self.device_model_id}:{self.version}"


class Rollout(models.Model):
    """A staged OTA rollout: percentage steps, a rate limit, and an automatic stop on failures."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        ABORTED = "aborted", _("Aborted")
        COMPLETED = "completed", _("Completed")
        ROLLED_BACK = "rolled_back", _("Rolled back")

    firmware = models.ForeignKey(
        Firmware, on_delete=models.PROTECT, related_name="rollouts", verbose_name=_("firmware")
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.RUNNING)
    steps = models.JSONField(
        pgettext_lazy("rollout", "steps"),
        help_text=_("Cumulative percentages of the fleet, e.g. [5, 25, 100]."),
    )
    step_index = models.PositiveIntegerField(_("step index"), default=0)
    rate_per_minute = models.PositiveIntegerField(_("updates per minute"), default=60)
    failure_threshold = models.DecimalField(
        _("failure threshold"), max_digits=4, decimal_places=3, default="0.200"
    )
    min_finished = models.PositiveIntegerField(
        _("minimum finished updates"), default=5, help_text=_("Finished updates before judging.")
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    rollback_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rollbacks",
        verbose_name=_("rollback of"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("rollout")
        verbose_name_plural = _("rollouts")

    def __str__(self) -> str:
        return f"rollout {self.pk} of {self.firmware}"


class RolloutTarget(models.Model):
    """One device's part in a rollout, with the version it had so a rollback knows where to go."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        UPDATING = "updating", _("Updating")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", pgettext_lazy("device update", "Cancelled")  # not an order's
        ROLLED_BACK = "rolled_back", _("Rolled back")

    rollout = models.ForeignKey(
        Rollout, on_delete=models.CASCADE, related_name="targets", verbose_name=_("rollout")
    )
    device = models.ForeignKey(
        Device, on_delete=models.CASCADE, related_name="rollout_targets", verbose_name=_("device")
    )
    previous_version = models.CharField(_("previous version"), max_length=32)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    command = models.OneToOneField(
        Command,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rollout_target",
        verbose_name=_("command"),
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("rollout target")
        verbose_name_plural = _("rollout targets")
        constraints = [models.UniqueConstraint(fields=["rollout", "device"], name="one_target_per_device")]
        indexes = [models.Index(fields=["rollout", "status"])]
