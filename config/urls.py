from django.contrib import admin
from django.urls import path

from config.views import healthz
from integrations.webhooks.views import notion_webhook

admin.autodiscover()

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("notion/webhook/", notion_webhook, name="notion_webhook"),
    path("admin/", admin.site.urls),
]
