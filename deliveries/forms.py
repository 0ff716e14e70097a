"""Forms of the deliveries pages. They give the inputs, labels and widgets; the services validate and write
(their ValidationError is put on the form with members.forms.add_service_errors)."""

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cooperative.forms import DateInput, ServiceModelForm
from cooperative.models import Crop
from deliveries.models import STATES_BY_CROP, UNIT_KG, DeductionKind, Delivery, ProductState
from members.models import Farm

MONEY_INPUT = {"step": "0.01", "min": "0.01", "inputmode": "decimal"}
PERCENT_INPUT = {"step": "0.01", "min": "0", "max": "100", "inputmode": "decimal"}


def _money_field(label: str, required: bool = False) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs=MONEY_INPUT),
    )


class MemberLookupForm(forms.Form):
    """The first step of recording a delivery: who brings it."""

    member = forms.CharField(
        label=_("Member code or DNI"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )


class FarmChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Farm) -> str:
        return f"{obj.name} ({obj.get_crop_display()}, {obj.hectares} ha)"


class DeliveryForm(ServiceModelForm):
    """A delivery of one of `farms` (the member's active farms). The crop is the farm's; the product states
    are grouped by crop, and the quality measures say which crop they apply to."""

    class Meta:
        model = Delivery
        fields = [
            "farm",
            "delivered_on",
            "product_state",
            "quantity",
            "unit",
            "price_per_kg",
            "moisture_percent",
            "yield_percent",
            "cup_score",
            "fermentation_percent",
            "notes",
        ]
        field_classes = {"farm": FarmChoiceField}
        widgets = {
            "delivered_on": DateInput(),
            "quantity": forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}),
            "price_per_kg": forms.NumberInput(attrs=MONEY_INPUT),
            "moisture_percent": forms.NumberInput(attrs=PERCENT_INPUT),
            "yield_percent": forms.NumberInput(attrs=PERCENT_INPUT),
            "cup_score": forms.NumberInput(attrs=PERCENT_INPUT),
            "fermentation_percent": forms.NumberInput(attrs=PERCENT_INPUT),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"quantity": _("Quantity")}
        help_texts = {"unit": _("1 quintal (qq) = 46 kg; 1 export bag = 69 kg. Kilograms are stored too.")}

    def __init__(self, *args, farms: QuerySet[Farm], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["farm"].queryset = farms
        self.fields["farm"].empty_label = None
        self.fields["delivered_on"].initial = timezone.localdate
        labels = dict(ProductState.choices)
        self.fields["product_state"].choices = [("", "---------")] + [
            (Crop(crop).label, [(state, labels[state]) for state in states]) for crop, states in STATES_BY_CROP.items()
        ]
        # The live conversion (static/js/delivery_form.js) reads each unit's kilograms from here.
        self.fields["unit"].widget.attrs["data-unit-kg"] = ",".join(f"{unit}:{kg}" for unit, kg in UNIT_KG.items())

    def quantity_kg(self) -> Decimal | None:
        """The typed quantity in kilograms, once quantity and unit are valid (shown beside the form)."""
        data = getattr(self, "cleaned_data", {})
        if data.get("quantity") is None or data.get("unit") not in UNIT_KG:
            return None
        return data["quantity"] * UNIT_KG[data["unit"]]


class SettleForm(forms.Form):
    """The payment date, whether to repay loans, and the other deductions typed by the cashier."""

    paid_on = forms.DateField(label=_("Payment date"), widget=DateInput(), initial=timezone.localdate)
    apply_credit = forms.BooleanField(
        label=_("Deduct loan repayments (within each credit product's cap)"), required=False, initial=True
    )
    association_fee = _money_field(_("Association fee (S/)"))
    transport = _money_field(_("Transport (S/)"))
    other_amount = _money_field(_("Other deduction (S/)"))
    other_note = forms.CharField(label=_("What the other deduction is for"), max_length=255, required=False)
    # The amounts the preview showed (SettlementPlan.fingerprint): the payment is made only if they still hold.
    preview = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        if cleaned_data.get("other_amount") and not cleaned_data.get("other_note", "").strip():
            self.add_error("other_note", _("Say what the other deduction is for."))
        return cleaned_data

    def other_deductions(self) -> list[tuple[str, Decimal, str]]:
        """(kind, amount, note) of the deductions typed, for delivery_settle."""
        data = self.cleaned_data
        lines = []
        if data.get("association_fee"):
            lines.append((DeductionKind.ASSOCIATION_FEE, data["association_fee"], ""))
        if data.get("transport"):
            lines.append((DeductionKind.TRANSPORT, data["transport"], ""))
        if data.get("other_amount"):
            lines.append((DeductionKind.OTHER, data["other_amount"], data.get("other_note", "").strip()))
        return lines

    def service_values(self) -> dict[str, Any]:
        return {
            "paid_on": self.cleaned_data["paid_on"],
            "other_deductions": self.other_deductions(),
            "apply_credit": self.cleaned_data["apply_credit"],
        }


class ReverseForm(forms.Form):
    reversed_on = forms.DateField(label=_("Reversal date"), widget=DateInput(), initial=timezone.localdate)
    reason = forms.CharField(label=_("Reason"), max_length=200, widget=forms.Textarea(attrs={"rows": 2}))
    confirm = forms.BooleanField(
        label=_("I confirm the reversal. The delivery stays on record, marked reversed."),
        error_messages={"required": _("Tick the box to confirm the reversal.")},
    )
