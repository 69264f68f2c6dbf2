"""Timeouts found among the commands whose last attempt is out, not by visiting every open command.

Only a command sent for its last time (``attempts >= max_attempts``) can time out, but the hand-out
found them by reading every open command's row on each call (twice a second per worker; a fifth of
the hand-out's time with 2,000 open). ``OpenCommand.out_of_attempts`` marks them, set by the hand-out
that sends the last attempt, and a partial index holds just those rows.

Every open command already sent for its last time gets the mark here; going back drops the column.
"""

from django.db import migrations, models


def _mark_out_of_attempts(apps, schema_editor) -> None:
    OpenCommand = apps.get_model("devices", "OpenCommand")
    OpenCommand.objects.filter(
        command__status="sent", command__attempts__gte=models.F("command__max_attempts")
    ).update(out_of_attempts=True)


class Migration(migrations.Migration):
    dependencies = [("devices", "0010_open_commands")]

    operations = [
        migrations.AddField(
            model_name="opencommand", name="out_of_attempts", field=models.BooleanField(default=False)
        ),
        migrations.RunPython(_mark_out_of_attempts, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="opencommand",
            index=models.Index(
                condition=models.Q(("out_of_attempts", True)), fields=["expires_at"], name="devices_opencommand_last"
            ),
        ),
    ]
