"""Routes of the reports, program progress, OpenAPI schema and docs."""

urlpatterns = []
