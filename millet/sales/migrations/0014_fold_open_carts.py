"""Before 0015 allows one open cart per customer and market: two first adds at once could each make a
cart, and the cart shown was the newest, so the lines of the older one were lost to the customer.
Those older open carts are folded into the newest (a SKU in both keeps the newest cart's quantity,
and a voucher code kept on an older cart moves when the newest has none), so nothing the customer
put in a cart is dropped. (A migration of its own: PostgreSQL builds no
index in a transaction with the deletes' deferred checks pending.)"""

from django.conf import settings
from django.db import migrations
from django.db.models import Count


def fold_open_carts(apps, schema_editor):
    Cart = apps.get_model("sales", "Cart")
    CartLine = apps.get_model("sales", "CartLine")
    doubled = (
        Cart.objects.filter(checked_out=False)
        .values("customer_id", "market_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    for pair in doubled:
        newest, *older = Cart.objects.filter(
            checked_out=False, customer_id=pair["customer_id"], market_id=pair["market_id"]
        ).order_by("-pk")
        held = set(CartLine.objects.filter(cart=newest).values_list("sku_id", flat=True))
        voucher_code = newest.voucher_code or next((c.voucher_code for c in older if c.voucher_code), "")
        if voucher_code != newest.voucher_code:
            Cart.objects.filter(pk=newest.pk).update(voucher_code=voucher_code)
        for cart in older:
            for line in CartLine.objects.filter(cart=cart).exclude(sku_id__in=held):
                CartLine.objects.create(cart=newest, sku_id=line.sku_id, quantity=line.quantity)
                held.add(line.sku_id)
            cart.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("regions", "0003_model_names"),
        ("sales", "0013_checkout_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(fold_open_carts, migrations.RunPython.noop),
    ]
