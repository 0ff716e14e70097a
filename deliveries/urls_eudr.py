"""Route of the EUDR export page. Included at the site root (cooperative/urls.py), next to the other EUDR
pages (members.urls_eudr):

    path("", include("deliveries.urls_eudr")),
"""

from django.urls import path

from deliveries.views import eudr

urlpatterns = [
    path("eudr/export/", eudr.eudr_export, name="eudr_export"),
]
