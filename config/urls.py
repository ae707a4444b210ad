from django.contrib import admin
from django.urls import path

from config.views import healthz

admin.autodiscover()

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
