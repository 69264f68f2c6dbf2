"""Campaign keeps its SKU's code beside the foreign key, so flashsale reads it without querying
catalog's table (a SKU's code never changes). Existing rows are filled from the key."""

from django.db import migrations, models


def fill(apps, schema_editor) -> None:
    Campaign = apps.get_model("flashsale", "Campaign")
    Sku = apps.get_model("catalog", "Sku")
    rows = list(Campaign.objects.only("pk", "sku_id"))
    values = dict(Sku.objects.filter(pk__in={r.sku_id for r in rows}).values_list("pk", "code"))
    for row in rows:
        row.sku_code = values[row.sku_id]
    Campaign.objects.bulk_update(rows, ["sku_code"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("flashsale", "0001_initial"), ("catalog", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="campaign",
            name="sku_code",
            field=models.CharField(
                default="", help_text="The SKU's code (a SKU keeps its code for life)", max_length=32
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
