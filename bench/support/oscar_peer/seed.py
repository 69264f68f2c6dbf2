"""Seed the peer's database as bench/checkout.py seeds Millet's: 20 products with a stock record
each (price 99.00 + i, stock 30,000: the three warehouses' 10,000 each) and 200 buyers. Prints
``{"users": [...], "products": [...]}`` as its last line."""

import json
from decimal import Decimal

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from oscar.apps.catalogue.models import Product, ProductClass  # noqa: E402
from oscar.apps.partner.models import Partner, StockRecord  # noqa: E402

kind = ProductClass.objects.create(name="Accessory", track_stock=True, requires_shipping=True)
partner = Partner.objects.create(name="Bench warehouses")
products = []
for i in range(20):
    product = Product.objects.create(product_class=kind, title=f"Bench product {i}", structure="standalone")
    StockRecord.objects.create(
        product=product,
        partner=partner,
        partner_sku=f"BENCH-{i:02d}",
        price_currency="CNY",
        price=Decimal("99.00") + i,
        num_in_stock=30000,
    )
    products.append(product.pk)
users = [get_user_model().objects.create_user(f"bench{i}").pk for i in range(200)]
print(json.dumps({"users": users, "products": products}))
