"""The device owner's pages beyond the device list: automations, sharing, adding a device by its QR
code, firmware updates and notifications (issue 11, item 4). Included at /devices/ in millet/urls.py."""

from django.urls import path

from millet.devices import automation_views, claim_views, ota_views, sharing_views

app_name = "devices_owner"
urlpatterns = [
    path("automations/", automation_views.automations, name="automations"),
    path("automations/new/", automation_views.new_automation, name="automation_new"),
    path("automations/<int:automation_id>/enabled/", automation_views.set_enabled, name="automation_enabled"),
    path("automations/<int:automation_id>/delete/", automation_views.delete, name="automation_delete"),
    path("sharing/", sharing_views.sharing_page, name="sharing"),
    path("sharing/<str:device_id>/invite/", sharing_views.invite, name="invite"),
    path("sharing/<str:device_id>/members/remove/", sharing_views.remove_member, name="member_remove"),
    path(
        "invitations/<int:invitation_id>/<str:verdict>/",
        sharing_views.answer,
        name="invitation_answer",
    ),
    path("claim/", claim_views.claim, name="claim"),
    path("updates/", ota_views.updates, name="updates"),
    path("updates/<str:device_id>/start/", ota_views.start_update, name="update_start"),
]
