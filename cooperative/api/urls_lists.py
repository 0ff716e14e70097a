"""Routes of the list endpoints (members, farms, certifications, visits, loans)."""

from rest_framework.routers import SimpleRouter

router = SimpleRouter()

urlpatterns = router.urls
