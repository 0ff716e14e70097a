"""Signals the members app sends, so that the apps above it can follow a member's life without members
importing them (members sits below them: see the layer contract in pyproject.toml)."""

from django.dispatch import Signal

# Sent by members.services.member_withdraw inside its transaction, once the member is saved as withdrawn and
# their active enrolments are withdrawn. Keyword arguments: member (withdrawn_on and withdrawal_reason set),
# decided_by (a user, or None). Receivers run in the same transaction: one that raises undoes the withdrawal.
# certifications.receivers closes the member's open certifications.
member_withdrawn = Signal()
