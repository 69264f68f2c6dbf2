"""``Device.model_code`` held the catalog's device model URN: one thing, one name (issue 9, item 6)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("devices", "0002_shadow_stamps")]

    operations = [
        migrations.RemoveIndex(model_name="device", name="devices_dev_online_8af8c6_idx"),
        migrations.RenameField(model_name="device", old_name="model_code", new_name="model_urn"),
        migrations.AddIndex(
            model_name="device",
            index=models.Index(fields=["online", "model_urn"], name="devices_dev_online_e40541_idx"),
        ),
    ]
