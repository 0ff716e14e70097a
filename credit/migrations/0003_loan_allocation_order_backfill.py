# Loans approved before allocation orders existed were repaid penalty -> fee -> interest -> principal (they had
# no charges, so interest before principal): they copy that default, as approval now copies the product's.
# Loans not yet approved keep "" until approval. The constraints come after the backfill.

from django.db import migrations, models

DEFAULT_ALLOCATION_ORDER = "penalty,fee,interest,principal"


def backfill_allocation_order(apps, schema_editor):
    Loan = apps.get_model("credit", "Loan")
    Loan.objects.filter(approved_on__isnull=False, allocation_order="").update(
        allocation_order=DEFAULT_ALLOCATION_ORDER
    )


class Migration(migrations.Migration):

    dependencies = [
        ('credit', '0002_charges_fee_penalty_portions_allocation_order'),
    ]

    operations = [
        migrations.RunPython(backfill_allocation_order, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name='loan',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['submitted', 'rejected', 'withdrawn']), models.Q(('annual_rate__isnull', False), ('approved_by__isnull', False), ('approved_on__isnull', False), ('arrears_tolerance__isnull', False), ('grace_periods__isnull', False), ('max_deduction_percent__isnull', False), ('number_of_repayments__isnull', False), models.Q(('interest_method', ''), _negated=True), models.Q(('repayment_mode', ''), _negated=True), models.Q(('allocation_order', ''), _negated=True)), _connector='OR'), name='credit_loan_terms_copied_when_approved'),
        ),
        migrations.AddConstraint(
            model_name='loan',
            constraint=models.CheckConstraint(condition=models.Q(('allocation_order', ''), ('allocation_order__in', ('penalty,fee,interest,principal', 'penalty,fee,principal,interest', 'penalty,interest,fee,principal', 'penalty,interest,principal,fee', 'penalty,principal,fee,interest', 'penalty,principal,interest,fee', 'fee,penalty,interest,principal', 'fee,penalty,principal,interest', 'fee,interest,penalty,principal', 'fee,interest,principal,penalty', 'fee,principal,penalty,interest', 'fee,principal,interest,penalty', 'interest,penalty,fee,principal', 'interest,penalty,principal,fee', 'interest,fee,penalty,principal', 'interest,fee,principal,penalty', 'interest,principal,penalty,fee', 'interest,principal,fee,penalty', 'principal,penalty,fee,interest', 'principal,penalty,interest,fee', 'principal,fee,penalty,interest', 'principal,fee,interest,penalty', 'principal,interest,penalty,fee', 'principal,interest,fee,penalty')), _connector='OR'), name='credit_loan_allocation_order_valid'),
        ),
    ]
