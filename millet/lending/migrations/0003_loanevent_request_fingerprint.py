from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("lending", "0002_application_order_number")]

    operations = [
        migrations.AddField(
            model_name="loanevent",
            name="request_fingerprint",
            field=models.CharField(
                blank=True,
                help_text="SHA-256 of a keyed repayment's parameters (core.idempotency): a replay must match it.",
                max_length=64,
            ),
        ),
    ]
