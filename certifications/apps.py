from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificationsConfig(AppConfig):
    name = "certifications"
    verbose_name = _("Certifications")

    def ready(self) -> None:
        from certifications.receivers import member_withdrawn_close_certifications
        from members.signals import member_withdrawn

        member_withdrawn.connect(member_withdrawn_close_certifications, dispatch_uid="certifications-member-withdrawn")
