"""Invitations keep the login the owner typed and may name nobody, so the owner's list of them is the
same whether or not an account exists; owners may revoke a pending one."""

from django.conf import settings
from django.db import migrations, models
import django.db.models.deletion


def logins_from_invitees(apps, schema_editor):
    Invitation = apps.get_model("devices", "DeviceInvitation")
    for invitation in Invitation.objects.select_related("invitee"):
        invitation.login = invitation.invitee.username
        invitation.save(update_fields=["login"])


class Migration(migrations.Migration):
    dependencies = [
        ("devices", "0006_merge_invitations_and_rooms"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="deviceinvitation", name="one_pending_invitation_per_device_invitee"
        ),
        migrations.AddField(
            model_name="deviceinvitation",
            name="login",
            field=models.CharField(default="", max_length=254),
            preserve_default=False,
        ),
        migrations.RunPython(logins_from_invitees, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="deviceinvitation",
            name="invitee",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="deviceinvitation",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("accepted", "Accepted"),
                    ("declined", "Declined"),
                    ("revoked", "Revoked"),
                ],
                default="pending",
                max_length=8,
            ),
        ),
        migrations.AddConstraint(
            model_name="deviceinvitation",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "pending")),
                fields=("device", "login"),
                name="one_pending_invitation_per_device_login",
            ),
        ),
    ]
