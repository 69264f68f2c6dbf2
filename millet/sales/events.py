"""Events other domains subscribe to, so sales never calls into them directly.

``order_fulfilled`` is how the device cloud learns which customer now owns which serial numbers;
``units_returned`` is how it learns to unbind them.
"""

from django.dispatch import Signal

# kwargs: order_number: str, customer_id: int | None, serials: list[str]
order_fulfilled = Signal()
# kwargs: order_number: str, customer_id: int | None, serials: list[str]
units_returned = Signal()
