"""Routes of the credit reports (under /credit/): the portfolio report and a member's statement of account."""

from django.urls import path

from credit.views import portfolio, statements

urlpatterns = [
    path("portfolio/", portfolio.credit_portfolio, name="credit_portfolio"),
    path("members/<int:member_pk>/statement/", statements.credit_statement, name="credit_statement"),
]
