"""Routes of the reports, program progress, OpenAPI schema and docs."""

from django.urls import path

from api import eudr, reports

urlpatterns = [
    path("eudr/geojson/", eudr.EudrGeoJsonView.as_view(), name="api-eudr-geojson"),
    path("reports/summary/", reports.SummaryView.as_view(), name="api-report-summary"),
    path("schema/", reports.SchemaView.as_view(), name="api-schema"),
    path("docs/", reports.DocsView.as_view(url_name="api-schema"), name="api-docs"),
]
