"""Staff pages of the member import: upload -> preview (nothing written) -> confirm (all rows or none)."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cooperative.access import MEMBER_WRITERS, role_required
from members.imports import (
    COLUMNS,
    ImportFile,
    ImportPreview,
    ImportRejected,
    member_import_preview,
    template_csv,
    template_xlsx,
)
from members.imports import member_import as member_import_service
from members.imports.forms import ImportUploadForm

# The previewed rows wait here for the confirmation: the parsed text cells and the file's digest, never a
# path on disk. They are validated again on confirm, against the database as it is then.
SESSION_KEY = "member_import"

TEMPLATE_FORMATS = {
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", template_xlsx),
    "csv": ("text/csv; charset=utf-8", template_csv),
}


def _render_preview(request: HttpRequest, preview: ImportPreview, *, can_confirm: bool) -> HttpResponse:
    return render(
        request,
        "members/import_preview.html",
        {"preview": preview, "counts": preview.counts, "can_confirm": can_confirm},
    )


@role_required(MEMBER_WRITERS)
@require_http_methods(["GET", "POST"])
def member_import(request: HttpRequest) -> HttpResponse:
    """GET: the upload form. POST: read and validate the file, and show the preview; writes nothing."""
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            preview = member_import_preview(file=form.import_file, user=request.user)
            if preview.is_valid:
                request.session[SESSION_KEY] = form.import_file.to_session()
            else:
                request.session.pop(SESSION_KEY, None)
            return _render_preview(request, preview, can_confirm=preview.is_valid)
    else:
        form = ImportUploadForm()
    return render(request, "members/import.html", {"form": form, "columns": COLUMNS})


@role_required(MEMBER_WRITERS)
@require_POST
def member_import_confirm(request: HttpRequest) -> HttpResponse:
    """Write the previewed file: every row in one transaction, or none when any row has become invalid."""
    stored = request.session.get(SESSION_KEY)
    if not stored or stored.get("digest") != request.POST.get("digest"):
        messages.error(request, _("This import is no longer waiting for confirmation. Upload the file again."))
        return redirect("member_import")
    file = ImportFile.from_session(stored)
    try:
        counts = member_import_service(file=file, user=request.user)
    except ImportRejected as exc:
        del request.session[SESSION_KEY]
        messages.error(request, _("Nothing was imported: some rows are not valid. Correct them and upload again."))
        return _render_preview(request, exc.preview, can_confirm=False)
    del request.session[SESSION_KEY]
    messages.success(
        request,
        _(
            "Import done: %(members_created)s new members, %(members_updated)s members updated, "
            "%(farms_created)s new farms, %(farms_updated)s farms updated."
        )
        % {
            "members_created": counts.members_created,
            "members_updated": counts.members_updated,
            "farms_created": counts.farms_created,
            "farms_updated": counts.farms_updated,
        },
    )
    return redirect("member_list")


@role_required(MEMBER_WRITERS)
@require_GET
def member_import_template(request: HttpRequest, file_format: str) -> HttpResponse:
    """The import template: the header and one example row, as XLSX or CSV."""
    if file_format not in TEMPLATE_FORMATS:
        raise Http404
    content_type, build = TEMPLATE_FORMATS[file_format]
    return HttpResponse(
        build(),
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="plantilla_socios.{file_format}"'},
    )
