"""The broker auth endpoints under /api/broker/<token>/ (see ``broker_auth_views``).

Under /api/ so the pages' middleware (market, language) leaves these machine-to-machine calls alone.
"""

from django.urls import path

from millet.devices import broker_auth_views as views

app_name = "broker"
urlpatterns = [
    path("<str:token>/rabbitmq/user", views.rabbitmq_user, name="rabbitmq_user"),
    path("<str:token>/rabbitmq/vhost", views.rabbitmq_vhost, name="rabbitmq_vhost"),
    path("<str:token>/rabbitmq/resource", views.rabbitmq_resource, name="rabbitmq_resource"),
    path("<str:token>/rabbitmq/topic", views.rabbitmq_topic, name="rabbitmq_topic"),
    path("<str:token>/emqx/authenticate", views.emqx_authenticate, name="emqx_authenticate"),
    path("<str:token>/emqx/authorize", views.emqx_authorize, name="emqx_authorize"),
    path("<str:token>/vernemq/auth_on_register", views.vernemq_register, name="vernemq_register"),
    path("<str:token>/vernemq/auth_on_publish", views.vernemq_publish, name="vernemq_publish"),
    path("<str:token>/vernemq/auth_on_subscribe", views.vernemq_subscribe, name="vernemq_subscribe"),
]
