from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("finance", "0003_sqlite_refuses_transfer_delete")]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="request_fingerprint",
            field=models.CharField(
                blank=True,
                help_text="SHA-256 of a keyed authorization's parameters (core.idempotency): a replay must match.",
                max_length=64,
            ),
        ),
    ]
