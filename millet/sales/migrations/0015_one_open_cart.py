"""One open cart per customer and market (0014 folded the doubles): a twin first add finds the cart
its twin made (``carts.open_cart``)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0014_fold_open_carts"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="cart",
            constraint=models.UniqueConstraint(
                condition=models.Q(("checked_out", False)),
                fields=("customer", "market"),
                name="one_open_cart_per_market",
            ),
        ),
    ]
