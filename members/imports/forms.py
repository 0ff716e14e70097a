"""The upload form of the member import."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.imports.columns import MAX_ROWS, MAX_UPLOAD_BYTES
from members.imports.files import ImportFile, ImportFileError, read_upload


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet of members and farms"),
        widget=forms.FileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("Excel (.xlsx) or CSV, at most 5 MB and %(rows)s rows.") % {
            "rows": number_format(MAX_ROWS, force_grouping=True)
        }
        self.import_file: ImportFile | None = None

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("The file is larger than 5 MB. Split it into smaller files."), code="too_large")
        try:
            self.import_file = read_upload(filename=upload.name, content=upload.read())
        except ImportFileError as exc:
            raise ValidationError(str(exc), code="unreadable") from None
        return upload
