"""Routes of the deliveries pages (included under /deliveries/)."""

from django.urls import path

from deliveries.views import deliveries, production

urlpatterns = [
    path("", deliveries.delivery_list, name="delivery_list"),
    path("new/", deliveries.delivery_create, name="delivery_create"),
    path("production/", production.production_report, name="production_report"),
    path("production/export.xlsx", production.production_report_export, name="production_report_export"),
    path("<int:pk>/", deliveries.delivery_detail, name="delivery_detail"),
    path("<int:pk>/settle/", deliveries.delivery_settle, name="delivery_settle"),
    path("<int:pk>/reverse/", deliveries.delivery_reverse, name="delivery_reverse"),
]
