"""Routes of the ICS pages (inspections)."""

urlpatterns: list = []
