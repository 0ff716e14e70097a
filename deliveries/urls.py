"""Routes of the deliveries pages."""

urlpatterns: list = []
