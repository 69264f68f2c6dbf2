"""Open commands in a table of their own, so that answering a command is a HOT update on PostgreSQL.

The open-commands index of 0009 was partial (``finished_at IS NULL``): closing a command changed the
column of its condition, so PostgreSQL could not update the row in place and wrote a new entry in
each of the table's other three indexes for every answer. ``OpenCommand`` takes the index's place:
a row per open command, inserted with it and deleted when it closes (a delete writes no index entry),
so the command table keeps no index on any column a hand-out or an answer changes.

Both are then HOT updates, given room on the row's page: a command's life takes three row versions
(queued, sent, closed). At the 50% fill factor of 0009 the third fits only once the page has been
pruned of the first, which waits until no transaction anywhere in the database can still see it (in
the bench, 57 to 98% of updates stayed HOT from run to run); at 30% all three fit with no pruning (100%).

Every command open now (no ``finished_at``; the check constraint of 0009 ties that to an open status)
gets its row, with its expiry, before the partial index goes. Going back drops the table and builds
the index again from the commands themselves.
"""

from importlib import import_module

import django.db.models.deletion
from django.db import migrations, models

FILLFACTOR = 30  # % of a page new rows may fill: room for each row's sent and closed versions
_fill_factor = import_module("millet.devices.migrations.0009_command_hot_handout")._fill_factor

_FILL = """
INSERT INTO devices_opencommand (command_id, expires_at)
SELECT id, expires_at FROM devices_command WHERE finished_at IS NULL
"""


class Migration(migrations.Migration):
    dependencies = [("devices", "0009_command_hot_handout")]

    operations = [
        migrations.CreateModel(
            name="OpenCommand",
            fields=[
                (
                    "command",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="open_entry",
                        serialize=False,
                        to="devices.command",
                    ),
                ),
                ("expires_at", models.DateTimeField(db_index=True)),
            ],
            options={"verbose_name": "open command", "verbose_name_plural": "open commands"},
        ),
        migrations.RunSQL(_FILL, migrations.RunSQL.noop),
        migrations.RemoveIndex(model_name="command", name="devices_command_open"),
        migrations.RunPython(_fill_factor(FILLFACTOR), _fill_factor(50)),
    ]
