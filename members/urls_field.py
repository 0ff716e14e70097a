"""Routes of the technicians' field app, all under /field/ (the service worker's scope)."""

from django.urls import path

from members.views import field

urlpatterns = [
    path("", field.field_farms_page, name="field_farms"),
    path("visit/", field.field_visit, name="field_visit"),
    path("farms/<int:pk>/", field.field_farm_history, name="field_farm_history"),
    path("offline/", field.field_offline, name="field_offline"),
    path("sw.js", field.field_service_worker, name="field_service_worker"),
    path("manifest.webmanifest", field.field_manifest, name="field_manifest"),
]
