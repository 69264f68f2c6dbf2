"""A loan keeps its late-payment terms (late fee, grace days, charge-off days), fixed when it is made:
they are its credit agreement's (Directive 2008/48/EC art. 10(2)(l)), and the daily job read them
live from the product, so a back-office edit of the product changed loans already made.

Existing loans are filled from their product as it is now, the terms the daily job has charged them
on so far; the fee in the loan currency's minor units, exactly as the job converted it."""

from django.db import migrations, models


def fill(apps, schema_editor) -> None:
    Loan = apps.get_model("lending", "Loan")
    LoanProduct = apps.get_model("lending", "LoanProduct")
    Currency = apps.get_model("regions", "Currency")
    exponents = dict(Currency.objects.values_list("code", "exponent"))
    for product in LoanProduct.objects.order_by("pk"):
        loans = Loan.objects.filter(product=product)
        for currency in loans.order_by().values_list("currency", flat=True).distinct():
            fee = product.late_fee.scaleb(exponents[currency])
            if fee != fee.to_integral_value():  # lending.check_product keeps fees in the currency's places
                raise ValueError(f"{product.code}: late fee {product.late_fee} has more decimals than {currency}")
            loans.filter(currency=currency).update(
                late_fee_minor=int(fee),
                grace_days=product.grace_days,
                charge_off_days=product.charge_off_days,
            )


class Migration(migrations.Migration):
    dependencies = [("lending", "0007_order_without_constraint"), ("regions", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="loan",
            name="late_fee_minor",
            field=models.BigIntegerField(default=0, help_text="Per overdue installment, in minor units"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="loan",
            name="grace_days",
            field=models.PositiveIntegerField(default=0, help_text="Days past due before the late fee"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="loan",
            name="charge_off_days",
            field=models.PositiveIntegerField(default=0, help_text="Days past due before charge-off"),
            preserve_default=False,
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="loan",
            constraint=models.CheckConstraint(
                condition=models.Q(late_fee_minor__gte=0), name="lending_late_fee_not_negative"
            ),
        ),
        migrations.AlterField(
            model_name="loanproduct",
            name="late_fee",
            field=models.DecimalField(
                decimal_places=2,
                help_text="Per overdue installment, on loans made from now on",
                max_digits=12,
            ),
        ),
        migrations.AlterField(
            model_name="loanproduct",
            name="grace_days",
            field=models.PositiveIntegerField(
                default=5, help_text="Days past due before the late fee, on loans made from now on"
            ),
        ),
        migrations.AlterField(
            model_name="loanproduct",
            name="charge_off_days",
            field=models.PositiveIntegerField(
                default=180, help_text="Days past due before charge-off, on loans made from now on"
            ),
        ),
    ]
