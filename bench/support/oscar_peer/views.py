"""The peer's two routes: ``GET /health`` (its HTTP ceiling) and ``POST /checkout``, Oscar's own order
placement for a signed-in buyer: basket, stock record (Oscar's strategy), 13% fixed-rate tax, a
payment authorised and recorded as Oscar's payment source and transaction, the stock allocated and
the basket submitted, all in one database transaction as Millet's checkout is.

The buyer is named by an ``X-User`` header (one indexed read, as Millet reads a token's user)."""

import json
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from oscar.apps.basket.models import Basket
from oscar.apps.catalogue.models import Product
from oscar.apps.checkout.calculators import OrderTotalCalculator
from oscar.apps.order.utils import OrderCreator, OrderNumberGenerator
from oscar.apps.partner import strategy
from oscar.apps.payment.models import Source, SourceType, Transaction
from oscar.apps.shipping.methods import Free


class Strategy(
    strategy.UseFirstStockRecord, strategy.StockRequired, strategy.FixedRateTax, strategy.Structured
):
    rate = Decimal(settings.PEER_TAX_RATE)


def health(request):
    return HttpResponse("ok", content_type="text/plain")


@csrf_exempt
def checkout(request):
    if request.method != "POST":
        return HttpResponse(status=405)
    user = get_user_model().objects.get(pk=int(request.headers["X-User"]))
    body = json.loads(request.body)
    product = Product.objects.get(pk=int(body["product"]))
    with transaction.atomic():
        basket = Basket.objects.create(owner=user)
        basket.strategy = Strategy()
        basket.add_product(product, int(body.get("quantity", 1)))
        basket.freeze()
        shipping = Free()
        charge = shipping.calculate(basket)
        total = OrderTotalCalculator().calculate(basket, charge)
        number = OrderNumberGenerator().order_number(basket)
        source_type, _ = SourceType.objects.get_or_create(name="Test gateway")
        order = OrderCreator().place_order(
            basket, total, shipping, charge, user=user, order_number=number, status="Authorised"
        )
        source = Source.objects.create(
            order=order,
            source_type=source_type,
            currency=total.currency,
            amount_allocated=total.incl_tax,
            reference=f"test_{number}",
        )
        source.transactions.create(
            txn_type=Transaction.AUTHORISE, amount=total.incl_tax, reference=f"test_{number}", status="ok"
        )
        basket.submit()
    return JsonResponse({"number": order.number, "total": str(total.incl_tax)}, status=201)
