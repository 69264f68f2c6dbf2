"""Application keeps its order's number beside the foreign key, so lending reads it without querying
sales' table (an order's number never changes). Existing rows are filled from the key."""

from django.db import migrations, models


def fill(apps, schema_editor) -> None:
    Application = apps.get_model("lending", "Application")
    Order = apps.get_model("sales", "Order")
    rows = list(Application.objects.only("pk", "order_id"))
    values = dict(Order.objects.filter(pk__in={r.order_id for r in rows}).values_list("pk", "number"))
    for row in rows:
        row.order_number = values[row.order_id]
    Application.objects.bulk_update(rows, ["order_number"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("lending", "0001_initial"), ("sales", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="application",
            name="order_number",
            field=models.CharField(
                db_index=True, default="", help_text="The order's number, as on its loan", max_length=24
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
