"""A policy keeps the perils it covers and the claims it allows, as its plan had them when it was sold:
claims read them live from the plan, so a back-office edit of the plan took cover away from policies
already bought (or gave cover nobody paid for). Premium, cover limit, excess and term were copied
already.

Existing policies are filled from their plan as it is now, the terms their claims were checked
against so far."""

from django.db import migrations, models


def fill(apps, schema_editor) -> None:
    Policy = apps.get_model("insurance", "Policy")
    ProtectionPlan = apps.get_model("insurance", "ProtectionPlan")
    for plan in ProtectionPlan.objects.order_by("pk"):
        Policy.objects.filter(plan=plan).update(perils=plan.perils, max_claims=plan.max_claims)


class Migration(migrations.Migration):
    dependencies = [("insurance", "0004_model_names")]

    operations = [
        migrations.AddField(
            model_name="policy",
            name="perils",
            field=models.JSONField(default=list, help_text="The perils covered, the plan's when sold."),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="policy",
            name="max_claims",
            field=models.PositiveSmallIntegerField(
                default=0, help_text="Claims allowed over the term, the plan's when sold."
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="protectionplan",
            name="perils",
            field=models.JSONField(
                help_text='Covered perils, e.g. ["accidental_damage", "theft"], on policies sold from now on.'
            ),
        ),
        migrations.AlterField(
            model_name="protectionplan",
            name="max_claims",
            field=models.PositiveSmallIntegerField(
                default=2, help_text="Claims allowed per policy term, on policies sold from now on."
            ),
        ),
    ]
