from django.urls import include, path
from rest_framework.routers import SimpleRouter

from cooperative.api import views

router = SimpleRouter()
router.register("programs", views.ProgramViewSet, basename="api-program")

urlpatterns = [
    path("", include("cooperative.api.urls_reports")),
    path("", include("cooperative.api.urls_lists")),
    *router.urls,
]
