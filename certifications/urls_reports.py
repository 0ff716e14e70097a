"""Routes of the ICS pages (reports): the ICS home, the inspection coverage and the audit pack."""

from django.urls import path

from certifications.views import reports

urlpatterns = [
    path("", reports.ics_home, name="ics_home"),
    path("coverage/", reports.coverage, name="ics_coverage"),
    path("audit-pack.xlsx", reports.audit_pack, name="ics_audit_pack"),
]
