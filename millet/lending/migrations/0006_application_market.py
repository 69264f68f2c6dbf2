"""Application keeps its order's market beside the order's number, so lending answers figures per
market (``services.reporting``) without asking sales for every order. Existing rows are filled from
the order (an order's market never changes)."""

from django.db import migrations, models


def fill(apps, schema_editor) -> None:
    Application = apps.get_model("lending", "Application")
    Order = apps.get_model("sales", "Order")
    rows = list(Application.objects.only("pk", "order_id"))
    markets = dict(Order.objects.filter(pk__in={r.order_id for r in rows}).values_list("pk", "market_id"))
    for row in rows:
        row.market = markets[row.order_id]
    Application.objects.bulk_update(rows, ["market"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("lending", "0005_merge_fingerprint_and_review_note"), ("sales", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="application",
            name="market",
            field=models.CharField(
                default="", help_text="The order's market (ISO 3166-1 alpha-2 code)", max_length=2
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
