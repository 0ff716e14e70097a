from django.urls import include, path
from rest_framework.routers import SimpleRouter

from api import views

router = SimpleRouter()
router.register("programs", views.ProgramViewSet, basename="api-program")

urlpatterns = [
    path("", include("api.urls_reports")),
    path("", include("api.urls_lists")),
    *router.urls,
]
