"""Routes of the list endpoints (members, farms, certifications, visits, loans)."""

from rest_framework.routers import SimpleRouter

from api.certifications import CertificationViewSet
from api.credit import LoanViewSet
from api.members import FarmViewSet, FarmVisitViewSet, MemberViewSet

router = SimpleRouter()
router.register("members", MemberViewSet, basename="api-member")
router.register("farms", FarmViewSet, basename="api-farm")
router.register("certifications", CertificationViewSet, basename="api-certification")
router.register("visits", FarmVisitViewSet, basename="api-visit")
router.register("loans", LoanViewSet, basename="api-loan")

urlpatterns = router.urls
