"""Reads for the internal inspection checklists. Checklists belong to no region: every ICS role reads them.
Each selector owns its joins and states its cost."""

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from certifications.models import Checklist, InspectionAnswer, Requirement


def checklists_with_standard() -> QuerySet[Checklist]:
    """Checklists with their standard joined. Lazy: one query when read."""
    return Checklist.objects.select_related("standard")


def requirements_with_checklist() -> QuerySet[Requirement]:
    """Requirements with their checklist and its standard joined. Lazy: one query when read."""
    return Requirement.objects.select_related("checklist__standard")


def checklists_for_list() -> QuerySet[Checklist]:
    """Every checklist with its standard, `requirement_count`, `critical_count` and `used` (answered by an
    inspection), the ones in use first within each standard. One query."""
    answered = InspectionAnswer.objects.filter(requirement__checklist=OuterRef("pk"))
    return (
        Checklist.objects.select_related("standard")
        .annotate(
            requirement_count=Count("requirements"),
            critical_count=Count("requirements", filter=Q(requirements__critical=True)),
            used=Exists(answered),
        )
        .order_by("standard__name", "-active", "-version", "pk")
    )


def checklist_with_requirements(*, pk: int) -> Checklist:
    """A checklist with its standard, `used` annotated and `requirement_list` (in order). Two queries; raises
    Checklist.DoesNotExist."""
    answered = InspectionAnswer.objects.filter(requirement__checklist=OuterRef("pk"))
    return (
        Checklist.objects.select_related("standard")
        .annotate(used=Exists(answered))
        .prefetch_related(
            Prefetch(
                "requirements",
                queryset=Requirement.objects.order_by("position", "code"),
                to_attr="requirement_list",
            )
        )
        .get(pk=pk)
    )


def checklist_is_used(checklist: Checklist) -> bool:
    """Whether an inspection has answered the checklist (its requirements are then frozen). One query."""
    return InspectionAnswer.objects.filter(requirement__checklist=checklist).exists()
