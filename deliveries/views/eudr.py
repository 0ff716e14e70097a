"""The EUDR export page: choose farms (program, region, ids, delivery period), see which are ready and why
the others are not, download the GeoJSON for the EU information system. Managers only (members.eudr.access);
another role: 403. It sits with the deliveries because a statement covers the farms that delivered in a period.
"""

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cooperative.access import role_required
from cooperative.selectors import programs_in_scope, regions_in_scope
from deliveries.eudr import eudr_export_build, eudr_export_preview
from deliveries.eudr_forms import ExportForm
from members.eudr.access import EUDR_EXPORTERS
from members.selectors import farms_in_regions


@role_required(EUDR_EXPORTERS)
@require_GET
def eudr_export(request: HttpRequest) -> HttpResponse:
    """Choose farms (program, region, ids, delivery period); see which are ready and why the others are
    not; download the GeoJSON (a ZIP of several files when one would pass 25 MB). Reading only: GET."""
    regions = regions_in_scope(request.user, EUDR_EXPORTERS)
    form = ExportForm(request.GET or None, programs=programs_in_scope(regions), regions=regions)
    preview = None
    if form.is_valid():
        farms = farms_in_regions(regions)
        if "download" in request.GET:
            export = eudr_export_build(
                farms_queryset=farms,
                selection=form.selection(),
                producer_name=form.cleaned_data["producer_name"],
            )
            return FileResponse(
                export.file, as_attachment=True, filename=export.filename, content_type=export.content_type
            )
        preview = eudr_export_preview(farms_queryset=farms, selection=form.selection())
    return render(request, "deliveries/eudr_export.html", {"form": form, "preview": preview})
