"""Routes of the credit pages."""

urlpatterns: list = []
