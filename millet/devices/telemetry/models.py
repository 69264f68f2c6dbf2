"""Telemetry storage: one row per accepted device message, and the ingestion worker's counters.

``TelemetryMessage`` is written only by raw SQL (see ``storage``): on PostgreSQL it is a table
partitioned by day on the device's timestamp, created by the migration, so its primary key must
include ``ts``. A device's QoS 1 retransmission carries the identical payload, so
(device_id, kind, seq, ts) identifies a message and ``ON CONFLICT DO NOTHING`` drops the copy.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TelemetryMessage(models.Model):
    pk = models.CompositePrimaryKey("device_id", "kind", "seq", "ts")
    device_id = models.CharField(_("device ID"), max_length=64)
    kind = models.CharField(
        _("kind"), max_length=1, help_text=_("t: telemetry (body = props), e: event (body = event, args)")
    )
    seq = models.BigIntegerField(_("sequence number"))
    ts = models.DateTimeField(_("device time"), help_text=_("The device's clock: the partition key."))
    received_at = models.DateTimeField(_("received at"))
    body = models.JSONField(_("body"))

    class Meta:
        verbose_name = _("telemetry message")
        verbose_name_plural = _("telemetry messages")
        db_table = "telemetry_message"
        managed = False  # created by the migration's vendor-specific SQL (partitioned on PostgreSQL)

    def __str__(self) -> str:
        return f"{self.device_id}#{self.seq}"


class IngestCounter(models.Model):
    """How many messages ingestion stored, de-duplicated or dropped, by reason (e.g. ``out_of_spec``)."""

    reason = models.CharField(_("reason"), max_length=64, primary_key=True)
    count = models.BigIntegerField(_("count"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("ingest counter")
        verbose_name_plural = _("ingest counters")

    def __str__(self) -> str:
        return f"{self.reason}: {self.count}"


class DeadLetter(models.Model):
    """One record a device-cloud loop refused and set aside (a poison message, a broken automation).

    Written by ``deadletters.record`` in the same transaction as the counter of its reason; the
    newest ``deadletters.KEEP`` are kept. Counters hold the exact totals, these rows the examples.
    """

    source = models.CharField(_("source"), max_length=16, help_text=_("ingest, automations or rollouts"))
    reason = models.CharField(_("reason"), max_length=64)
    key = models.CharField(
        _("key"), max_length=200, help_text=_("The MQTT topic, or the record (automation:12).")
    )
    size = models.PositiveIntegerField(_("size"), default=0, help_text=_("Bytes of the payload as received."))
    excerpt = models.TextField(
        _("excerpt"), blank=True, help_text=_("The payload's first 1 KiB, undecodable bytes escaped.")
    )
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("dead letter")
        verbose_name_plural = _("dead letters")
        indexes = [models.Index(fields=["reason", "created_at"])]

    def __str__(self) -> str:
        return f"{self.source}/{self.reason}: {self.key}"
