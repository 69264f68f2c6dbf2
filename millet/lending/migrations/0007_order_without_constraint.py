"""A loan's order loses its database constraint: orders become a month-partitioned table on PostgreSQL
(sales 0011, which runs after this), and nothing can reference a partitioned table."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('lending', '0006_application_market'),
        ('sales', '0010_reporting_indexes'),
    ]

    operations = [
        migrations.AlterField(
            model_name='application',
            name='order',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='sales.order'),
        ),
    ]
