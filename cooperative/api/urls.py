from rest_framework.routers import SimpleRouter

from cooperative.api import views

router = SimpleRouter()
router.register("programs", views.ProgramViewSet, basename="api-program")

urlpatterns = router.urls
