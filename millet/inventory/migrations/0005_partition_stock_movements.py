"""On PostgreSQL, the stock movement journal becomes a table RANGE-partitioned by month on
``created_at`` (millet.core.partitions): rows are copied, ids go on, the primary key becomes
(id, created_at) in the database while Django keeps ``id``. SQLite keeps the plain table.
Nothing references a movement, so no foreign key has to give way."""

from django.db import migrations

from millet.core.partitions import RangePartitioned, conversion

# As of this migration; the live setting is inventory.services.stock.MOVEMENT_PARTITIONS.
MOVEMENTS = RangePartitioned("inventory_stockmovement", "created_at", "month", ahead=2)



class Migration(migrations.Migration):
    dependencies = [("inventory", "0004_stock_requests")]

    operations = [conversion(MOVEMENTS)]
