"""Harvest deliveries and their settlement (payment, deductions, loan repayment)."""
