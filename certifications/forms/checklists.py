"""Forms of the checklist pages: a requirement, and a new version of a checklist. The services in
certifications.services.checklists validate the domain's rules and write."""

from django import forms
from django.utils.translation import gettext_lazy as _

from certifications.models import Requirement
from cooperative.forms import ServiceModelForm


class RequirementForm(ServiceModelForm):
    class Meta:
        model = Requirement
        fields = ["code", "section", "text_es", "text_en", "critical", "position"]
        widgets = {"text_es": forms.Textarea(attrs={"rows": 3}), "text_en": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "critical": _("Found non-compliant, it blocks certification until its non-conformity is closed."),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text_es"].widget.attrs["lang"] = "es"
        self.fields["text_en"].widget.attrs["lang"] = "en"
        if not self.instance.pk:
            self.fields["position"].required = False
            self.fields["position"].help_text = _("Leave it empty to add the requirement at the end.")


class ChecklistVersionForm(forms.Form):
    version = forms.CharField(label=_("New version"), max_length=20)
    title = forms.CharField(label=_("Title"), max_length=150)
    confirm = forms.BooleanField(
        label=_("I confirm: the new version is put in use and the current one is retired."),
        error_messages={"required": _("Tick the box to confirm the new version.")},
    )


def next_version(version: str) -> str:
    """A suggestion for the version after `version`: "2026.1" -> "2026.2", "3" -> "4"; "" if not numbered."""
    head, _sep, tail = version.rpartition(".")
    if tail.isdigit():
        return f"{head}.{int(tail) + 1}" if head else str(int(tail) + 1)
    return ""
