from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("sales", "0002_order_shipping_state")]

    operations = [
        migrations.AddField(
            model_name="order",
            name="request_fingerprint",
            field=models.CharField(
                blank=True,
                help_text="SHA-256 of the keyed request's parameters (core.idempotency): a replay must match it.",
                max_length=64,
            ),
        ),
    ]
