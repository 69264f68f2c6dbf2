"""Hand-outs as HOT updates on PostgreSQL: an open-commands index no hand-out changes, and room on each page.

A hand-out rewrites a command's status, attempts and next attempt. While the open index was keyed
on the next attempt and marked by the status, every hand-out wrote a new entry in each of the
table's four indexes. Keyed on the expiry and marked by ``finished_at IS NULL`` (fixed until the
command closes), the index reads no column a hand-out changes, so PostgreSQL can update the row in
place on its page (HOT) and write no index entry, given free room on that page: ``FILLFACTOR``
keeps that room (new rows fill a page to 50%; the rest takes the hand-outs' new row versions,
reclaimed page by page as the old ones die). SQLite has no such setting and needs none.

The check constraint makes ``finished_at IS NULL`` and an open status (queued, sent) the same fact,
so the index's condition and the services' status filters never disagree; a closed command that an
older version left without ``finished_at`` gets its creation time.
"""

from django.db import migrations, models

FILLFACTOR = 50  # % of a page new rows may fill; a hand-out needs one new row version per row


def _fill_factor(percent: int):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE devices_command SET (fillfactor = {percent})")

    return run


def _finish_closed(apps, schema_editor) -> None:
    Command = apps.get_model("devices", "Command")
    Command.objects.exclude(status__in=["queued", "sent"]).filter(finished_at__isnull=True).update(
        finished_at=models.F("created_at")
    )
    Command.objects.filter(status__in=["queued", "sent"], finished_at__isnull=False).update(finished_at=None)


class Migration(migrations.Migration):
    dependencies = [("devices", "0008_command_indexes")]

    operations = [
        migrations.RunPython(_finish_closed, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="command", name="devices_command_open"),
        migrations.AddIndex(
            model_name="command",
            index=models.Index(
                condition=models.Q(("finished_at__isnull", True)), fields=["expires_at"], name="devices_command_open"
            ),
        ),
        migrations.AddConstraint(
            model_name="command",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("finished_at__isnull", True), ("status__in", ["queued", "sent"])),
                    models.Q(
                        models.Q(("status__in", ["queued", "sent"]), _negated=True), ("finished_at__isnull", False)
                    ),
                    _connector="OR",
                ),
                name="devices_command_open_unfinished",
            ),
        ),
        migrations.RunPython(_fill_factor(FILLFACTOR), _fill_factor(100)),
    ]
