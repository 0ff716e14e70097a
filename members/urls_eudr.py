"""Routes of the EUDR pages. Included at the site root (cooperative/urls.py):

    path("", include("members.urls_eudr")),

The walked boundary lives under /field/ so that the field app's service worker serves it. The export page,
/eudr/export/, is routed by deliveries.urls_eudr.
"""

from django.urls import path

from members.views import eudr

urlpatterns = [
    path("farms/<int:pk>/geometry/", eudr.farm_geometry, name="farm_geometry"),
    path("farms/<int:pk>/geometry/declaration/", eudr.farm_declaration, name="farm_declaration"),
    path("field/farms/<int:pk>/boundary/", eudr.field_boundary_walk, name="field_boundary_walk"),
    path("eudr/map/", eudr.eudr_map, name="eudr_map"),
    path("eudr/map/data/", eudr.eudr_map_data, name="eudr_map_data"),
]
