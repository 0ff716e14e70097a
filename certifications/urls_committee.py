"""Routes of the ICS pages (committee)."""

urlpatterns: list = []
