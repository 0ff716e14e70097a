"""Routes of the credit pages: the input catalogue, credit products, loans and their actions (under /credit/)."""

from django.urls import path

from credit.views import catalogue, loans

urlpatterns = [
    path("items/", catalogue.input_item_list, name="input_item_list"),
    path("items/new/", catalogue.input_item_create, name="input_item_create"),
    path("items/<int:pk>/edit/", catalogue.input_item_edit, name="input_item_edit"),
    path("products/", catalogue.credit_product_list, name="credit_product_list"),
    path("products/new/", catalogue.credit_product_create, name="credit_product_create"),
    path("products/<int:pk>/edit/", catalogue.credit_product_edit, name="credit_product_edit"),
    path("loans/", loans.loan_list, name="loan_list"),
    path("loans/new/", loans.loan_create, name="loan_create"),
    path("loans/<int:pk>/", loans.loan_detail, name="loan_detail"),
    path("approvals/", loans.loan_approvals, name="loan_approvals"),
    path("loans/<int:pk>/approve/", loans.loan_approve, name="loan_approve"),
    path("loans/<int:pk>/reject/", loans.loan_reject, name="loan_reject"),
    path("loans/<int:pk>/withdraw/", loans.loan_withdraw, name="loan_withdraw"),
    path("loans/<int:pk>/disburse/", loans.loan_disburse, name="loan_disburse"),
    path("loans/<int:pk>/repay/", loans.loan_repay, name="loan_repay"),
    path("loans/<int:pk>/write-off/", loans.loan_write_off, name="loan_write_off"),
    path("transactions/<int:pk>/reverse/", loans.loan_reverse, name="loan_reverse"),
]
