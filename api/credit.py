"""Partner API list of loans with their balances now (read-only): the balance stored on each loan, which the
credit services keep equal to the ledger (credit.read_models). Scoped by ApiScope."""

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import serializers

from api.lists import ApiFilterSet, ProgramFilter, RegionFilter, ScopedListViewSet
from credit.models import Loan, LoanStatus
from credit.selectors import days_past_due_on_record

MONEY = {"max_digits": 14, "decimal_places": 2}


class LoanSerializer(serializers.ModelSerializer):
    member = serializers.CharField(source="member.code")
    product = serializers.CharField(source="product.name")
    program = serializers.SerializerMethodField()
    principal_outstanding = serializers.DecimalField(source="outstanding_principal", **MONEY)
    total_outstanding = serializers.DecimalField(source="outstanding_total", **MONEY)
    days_past_due = serializers.SerializerMethodField()

    class Meta:
        model = Loan
        fields = [
            "reference",
            "member",
            "product",
            "program",
            "status",
            "principal",
            "disbursed_on",
            "principal_outstanding",
            "total_outstanding",
            "days_past_due",
            "updated_at",
        ]
        read_only_fields = fields

    def get_program(self, loan: Loan) -> str | None:
        """The financing program's code, if the client's scope includes it (a partner does not learn
        which other partner financed a loan)."""
        scope = self.context["view"].scope
        if loan.program is None or (scope.is_partner and loan.program.partner_id != scope.partner.pk):
            return None
        return loan.program.code

    def get_days_past_due(self, loan: Loan) -> int:
        """Days the oldest instalment (with the fees and penalties owed with it) is overdue beyond the
        arrears tolerance, today (0 if none): from Loan.oldest_unpaid_due_on, kept by the credit services."""
        return days_past_due_on_record(loan, timezone.localdate())


class LoanFilterSet(ApiFilterSet):
    region = RegionFilter(field_name="member__region")
    status = django_filters.ChoiceFilter(choices=LoanStatus.choices)
    program = ProgramFilter(field_name="program")
    disbursed_after = django_filters.DateFilter(field_name="disbursed_on", lookup_expr="gte")
    disbursed_before = django_filters.DateFilter(field_name="disbursed_on", lookup_expr="lte")

    class Meta:
        model = Loan
        fields = ["region", "status", "program", "disbursed_after", "disbursed_before", "updated_since"]


class LoanViewSet(ScopedListViewSet):
    """Loans of the members in scope, with their outstanding balances (stored on the loan, kept equal to the
    ledger by the credit services).

    Cost: 1 query (the page with member, product and program joined).
    """

    serializer_class = LoanSerializer
    filterset_class = LoanFilterSet
    export_basename = "loans"

    def get_queryset(self) -> QuerySet[Loan]:
        return self.scope.loans().select_related("member", "product", "program")
