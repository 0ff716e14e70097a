"""Forms of the credit pages: the input catalogue, credit products, loan applications, the loan actions and the
portfolio report's date and grouping.

The catalogue and product forms are plain model forms: Django's model validation (field validators,
`clean()`, the named constraints) puts each rule under its input. The loan forms only collect input: the
view passes the cleaned values to credit.services, which validates against the ledger and writes, and its
ValidationError is shown with add_service_errors (members.forms).
"""

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cooperative.forms import DateInput
from cooperative.models import AllianceProgram
from credit.models import CreditProduct, InputItem, TransactionKind
from credit.selectors import GROUP_BY_PRODUCT, GROUP_BY_PROGRAM, GROUP_BY_REGION
from credit.services.ledger import HISTORY_REASON_LENGTH
from members.models import Member

MAX_LOAN_LINES = 20
# Rows of the application form without JavaScript: one required line and a few spare ones.
SPARE_LOAN_LINES = 4
NOTE_LENGTH = 255  # LoanTransaction.note
MONEY_INPUT = {"step": "0.01", "min": "0.01", "inputmode": "decimal"}


def _confirm_field(label: str, required_message: str) -> forms.BooleanField:
    """A checkbox the user ticks to confirm an action that cannot be undone."""
    return forms.BooleanField(label=label, error_messages={"required": required_message})


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(label=label, widget=DateInput(), initial=timezone.localdate)


# --- Catalogue and products -------------------------------------------------------------------------------


class InputItemForm(forms.ModelForm):
    """Add or edit an item of the input catalogue. An item is never deleted: untick "available" instead (loan
    lines keep pointing at it)."""

    class Meta:
        model = InputItem
        fields = ["name", "kind", "unit", "unit_price", "is_active"]
        widgets = {"unit_price": forms.NumberInput(attrs=MONEY_INPUT)}
        help_texts = {"is_active": _("Unavailable items are kept for the loans that have them but cannot be lent.")}


class CreditProductForm(forms.ModelForm):
    """Add or edit a credit product. A loan copies the product's terms when approved, so an edit applies to
    loans approved from then on, never to loans already approved."""

    class Meta:
        model = CreditProduct
        fields = [
            "name",
            "interest_method",
            "annual_rate",
            "repayment_mode",
            "number_of_repayments",
            "grace_periods",
            "max_deduction_percent",
            "arrears_tolerance",
            "allocation_order",
            "is_active",
        ]
        widgets = {
            "annual_rate": forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "100"}),
            "max_deduction_percent": forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "max": "100"}),
            "arrears_tolerance": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
        }
        help_texts = {"is_active": _("Unavailable products are kept for their loans but offered to nobody.")}


# --- Loan application ----------------------------------------------------------------------------------------


class PricedItemSelect(forms.Select):
    """A select of input items whose options carry the item's unit price (`data-price`), so the page's script
    can fill in the price as soon as an item is picked."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None) -> dict[str, Any]:
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        item = getattr(value, "instance", None)
        if item is not None:
            option["attrs"]["data-price"] = str(item.unit_price)
        return option


class ItemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: InputItem) -> str:
        return gettext("%(name)s (%(unit)s) – S/ %(price)s") % {
            "name": obj.name,
            "unit": obj.unit,
            "price": obj.unit_price,
        }


class LoanLineForm(forms.Form):
    """One in-kind line: an available item and its quantity. The unit price is the catalogue's (loan_create
    copies it): the field shows it, and a price that changed since the form was shown is pointed out so the
    officer can tell the member before submitting."""

    item = ItemChoiceField(
        label=_("Item"),
        queryset=InputItem.objects.filter(is_active=True).order_by("kind", "name"),
        empty_label=_("Choose an item"),
        widget=PricedItemSelect,
    )
    quantity = forms.DecimalField(
        label=_("Quantity"),
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs=MONEY_INPUT),
    )
    unit_price = forms.DecimalField(
        label=_("Unit price (S/)"),
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text=_("From the catalogue."),
        widget=forms.NumberInput(attrs={"readonly": True, "tabindex": "-1", "class": "unit-price"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        item, seen_price = cleaned_data.get("item"), cleaned_data.get("unit_price")
        if item is None:
            return cleaned_data
        if seen_price is not None and seen_price != item.unit_price:
            self.add_error(
                "unit_price",
                ValidationError(
                    _("The catalogue price of %(item)s is now S/ %(price)s. Check the amount with the member."),
                    params={"item": item.name, "price": item.unit_price},
                    code="price_changed",
                ),
            )
        if seen_price != item.unit_price:
            # Show the catalogue price when the form comes back (the input is read-only).
            self.data = self.data.copy()
            self.data[self.add_prefix("unit_price")] = str(item.unit_price)
        cleaned_data["unit_price"] = item.unit_price
        return cleaned_data


class BaseLoanLineFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        items = [form.cleaned_data["item"] for form in self.forms if form.cleaned_data.get("item")]
        if len(items) != len(set(items)):
            raise ValidationError(_("Each item goes on one line only: add up its quantities."), code="duplicate_item")

    def service_lines(self) -> list[tuple[InputItem, Decimal]]:
        """(item, quantity) of every filled line, for loan_create."""
        return [
            (form.cleaned_data["item"], form.cleaned_data["quantity"])
            for form in self.forms
            if form.cleaned_data.get("item")
        ]


LoanLineFormSet = forms.formset_factory(
    LoanLineForm,
    formset=BaseLoanLineFormSet,
    extra=SPARE_LOAN_LINES,
    min_num=1,
    validate_min=True,
    max_num=MAX_LOAN_LINES,
    validate_max=True,
)


class LoanApplicationForm(forms.Form):
    """A member's application for in-kind credit (its lines are LoanLineFormSet). Members are found by code
    within `members` (the user's regions); programs are limited to `programs`."""

    member = forms.ModelChoiceField(
        label=_("Member code"),
        queryset=Member.objects.none(),
        to_field_name="code",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"invalid_choice": _("No member in your regions has this code.")},
    )
    product = forms.ModelChoiceField(
        label=_("Credit product"),
        queryset=CreditProduct.objects.filter(is_active=True).order_by("name"),
        empty_label=_("Choose a product"),
    )
    program = forms.ModelChoiceField(
        label=_("Program"),
        queryset=AllianceProgram.objects.none(),
        required=False,
        empty_label=_("No program"),
        help_text=_("The alliance program that finances the loan, if any."),
    )
    submitted_on = _date_field(_("Application date"))
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, members: QuerySet[Member], programs: QuerySet[AllianceProgram], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.fields["program"].queryset = programs.order_by("code")


# --- Loan actions ----------------------------------------------------------------------------------------------


class ApproveForm(forms.Form):
    approved_on = _date_field(_("Approval date"))


class EndLoanForm(forms.Form):
    """Reject or withdraw a loan before disbursement (the reason is kept in the loan's history)."""

    reason = forms.CharField(
        label=_("Reason"), max_length=HISTORY_REASON_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )
    confirm = _confirm_field(_("I confirm. The loan cannot be reopened afterwards."), _("Tick the box to confirm."))


class DisburseForm(forms.Form):
    disbursed_on = _date_field(_("Date the inputs were handed over"))
    confirm = _confirm_field(
        _("I confirm the member received the inputs. The repayment schedule starts from this date."),
        _("Tick the box to confirm the disbursement."),
    )


class RepaymentForm(forms.Form):
    """A cash repayment or a harvest deduction. For a deduction, the delivery payment it was withheld from
    (optional) caps it at the loan's maximum share."""

    amount = forms.DecimalField(
        label=_("Amount (S/)"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs=MONEY_INPUT),
    )
    occurred_on = _date_field(_("Payment date"))
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (TransactionKind.REPAYMENT.value, TransactionKind.REPAYMENT.label),
            (TransactionKind.HARVEST_DEDUCTION.value, TransactionKind.HARVEST_DEDUCTION.label),
        ],
        initial=TransactionKind.REPAYMENT,
    )
    delivery_payment = forms.DecimalField(
        label=_("Delivery payment (S/)"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        help_text=_("Harvest deductions only: the payment for the delivery the amount was withheld from."),
        widget=forms.NumberInput(attrs=MONEY_INPUT),
    )
    note = forms.CharField(label=_("Note"), max_length=NOTE_LENGTH, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        if cleaned_data.get("delivery_payment") and cleaned_data.get("kind") != TransactionKind.HARVEST_DEDUCTION:
            self.add_error("delivery_payment", _("A delivery payment goes with a harvest deduction only."))
        return cleaned_data


class ReverseForm(forms.Form):
    occurred_on = _date_field(_("Reversal date"))
    reason = forms.CharField(label=_("Reason"), max_length=NOTE_LENGTH, widget=forms.Textarea(attrs={"rows": 2}))
    confirm = _confirm_field(
        _("I confirm the reversal. Both entries stay in the ledger and the transaction counts zero from then on."),
        _("Tick the box to confirm the reversal."),
    )


class WriteOffForm(forms.Form):
    occurred_on = _date_field(_("Write-off date"))
    reason = forms.CharField(label=_("Reason"), max_length=NOTE_LENGTH, widget=forms.Textarea(attrs={"rows": 2}))
    confirm = _confirm_field(
        _("I confirm the write-off of everything still owed on this loan."),
        _("Tick the box to confirm the write-off."),
    )


# --- Portfolio report ---------------------------------------------------------------------------------------

GROUP_BY_CHOICES = [
    (GROUP_BY_REGION, _("Region")),
    (GROUP_BY_PROGRAM, _("Program")),
    (GROUP_BY_PRODUCT, _("Credit product")),
]


class PortfolioForm(forms.Form):
    """The portfolio report's date and grouping (a GET form: it only reads)."""

    as_of = forms.DateField(
        label=_("As of"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Balances and days past due on this date, from the transactions recorded up to it."),
    )
    group_by = forms.ChoiceField(label=_("Group by"), choices=GROUP_BY_CHOICES)

    @classmethod
    def from_query(cls, query, today: datetime.date) -> "PortfolioForm":
        """The form bound to the query string, today and by region where a field is missing or empty (so the
        page opens on today's report)."""
        return cls(
            {
                "as_of": query.get("as_of") or today.isoformat(),
                "group_by": query.get("group_by") or GROUP_BY_REGION,
            }
        )
