"""Routes of the ICS pages (reports)."""

urlpatterns: list = []
