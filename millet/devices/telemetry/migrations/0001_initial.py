"""Telemetry tables. On PostgreSQL ``telemetry_message`` is RANGE-partitioned by day on ``ts``
(a default partition catches anything outside the days created ahead); on SQLite it is a plain table."""

from django.db import migrations, models


PG_DDL = [
    """CREATE TABLE telemetry_message (
        device_id varchar(64) NOT NULL,
        kind char(1) NOT NULL,
        seq bigint NOT NULL,
        ts timestamptz NOT NULL,
        received_at timestamptz NOT NULL,
        body jsonb NOT NULL,
        PRIMARY KEY (device_id, kind, seq, ts)
    ) PARTITION BY RANGE (ts)""",
    "CREATE TABLE telemetry_message_default PARTITION OF telemetry_message DEFAULT",
    "CREATE INDEX telemetry_message_device_ts ON telemetry_message (device_id, ts)",
]
SQLITE_DDL = [
    """CREATE TABLE telemetry_message (
        device_id varchar(64) NOT NULL,
        kind char(1) NOT NULL,
        seq bigint NOT NULL,
        ts datetime NOT NULL,
        received_at datetime NOT NULL,
        body text NOT NULL,
        PRIMARY KEY (device_id, kind, seq, ts)
    )""",
    "CREATE INDEX telemetry_message_device_ts ON telemetry_message (device_id, ts)",
]


def create_message_table(apps, schema_editor):
    for statement in PG_DDL if schema_editor.connection.vendor == "postgresql" else SQLITE_DDL:
        schema_editor.execute(statement)
    if schema_editor.connection.vendor == "postgresql":
        from django.utils import timezone

        from millet.core.partitions import ensure_partitions
        from millet.devices.telemetry.storage import PARTITIONS

        ensure_partitions(PARTITIONS, schema_editor.connection, timezone.now().date())


def drop_message_table(apps, schema_editor):
    schema_editor.execute("DROP TABLE IF EXISTS telemetry_message")


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="IngestCounter",
            fields=[
                ("reason", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("count", models.BigIntegerField(default=0)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="TelemetryMessage",
                    fields=[
                        ("pk", models.CompositePrimaryKey("device_id", "kind", "seq", "ts", blank=True, editable=False, primary_key=True, serialize=False)),
                        ("device_id", models.CharField(max_length=64)),
                        ("kind", models.CharField(help_text="t: telemetry (body = props), e: event (body = event, args)", max_length=1)),
                        ("seq", models.BigIntegerField()),
                        ("ts", models.DateTimeField(help_text="The device's clock: the partition key.")),
                        ("received_at", models.DateTimeField()),
                        ("body", models.JSONField()),
                    ],
                    options={"db_table": "telemetry_message", "managed": False},
                ),
            ],
            database_operations=[migrations.RunPython(create_message_table, drop_message_table)],
        ),
    ]
