"""An application keeps the terms it was offered (rate, late fee, grace and charge-off days), and its
loan is opened on them: a referred application approved days later took the product's terms as they
were at approval, so an edit of the product meanwhile changed a credit agreement the buyer had
applied for on other terms (Directive 2008/48/EC art. 5 and 10).

An application with a loan is filled from its loan, whose terms are the ones it was made on; one
without (declined, or a referral still waiting) from its product as it is now, the best record there
is, in the application currency's minor units, as ``lending.check_product`` keeps fees."""

from django.db import migrations, models


def fill(apps, schema_editor) -> None:
    Application = apps.get_model("lending", "Application")
    Loan = apps.get_model("lending", "Loan")
    Currency = apps.get_model("regions", "Currency")
    exponents = dict(Currency.objects.values_list("code", "exponent"))
    loans = {loan.application_id: loan for loan in Loan.objects.all()}
    for application in Application.objects.select_related("product").order_by("pk").iterator():
        terms = loans.get(application.pk)
        if terms is None:
            product = application.product
            fee = product.late_fee.scaleb(exponents[application.currency])
            if fee != fee.to_integral_value():
                raise ValueError(f"{product.code}: late fee {product.late_fee} has more decimals than {application.currency}")
            application.apr, application.late_fee_minor = product.apr, int(fee)
            application.grace_days, application.charge_off_days = product.grace_days, product.charge_off_days
        else:
            application.apr, application.late_fee_minor = terms.apr, terms.late_fee_minor
            application.grace_days, application.charge_off_days = terms.grace_days, terms.charge_off_days
        application.save(update_fields=["apr", "late_fee_minor", "grace_days", "charge_off_days"])


class Migration(migrations.Migration):
    dependencies = [("lending", "0008_loan_terms"), ("regions", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="application",
            name="apr",
            field=models.DecimalField(
                decimal_places=4, default=0, help_text="Annual rate offered, e.g. 0.1800", max_digits=6
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="application",
            name="late_fee_minor",
            field=models.BigIntegerField(default=0, help_text="Per overdue installment offered, in minor units"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="application",
            name="grace_days",
            field=models.PositiveIntegerField(default=0, help_text="Days past due before the late fee, as offered"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="application",
            name="charge_off_days",
            field=models.PositiveIntegerField(default=0, help_text="Days past due before charge-off, as offered"),
            preserve_default=False,
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
