"""Declaring an inspector's conflict of interest with a member (certifications.services.conflicts), and its
refusals. What a declared conflict stops: test_inspections.py (recording) and
test_non_conformity_closing.py (verifying a correction)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from certifications.models import InspectorConflict
from certifications.services.conflicts import conflict_declare
from tests.factories import InspectorConflictFactory, MemberFactory, UserFactory

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


# -- conflicts of interest ------------------------------------------------------------------------------------


def test_it_declares_a_conflict_of_interest(inspector, today):
    member = MemberFactory()
    manager = UserFactory(username="coordinadora")

    conflict = conflict_declare(
        inspector=inspector,
        member=member,
        relationship="own",
        declared_on=today,
        note=" Es su propia parcela ",
        declared_by=manager,
    )

    conflict.refresh_from_db()
    assert (conflict.inspector, conflict.member, conflict.relationship) == (inspector, member, "own")
    assert (conflict.declared_on, conflict.note) == (today, "Es su propia parcela")
    assert conflict.history.get().history_user == manager


def test_it_refuses_a_conflict_declared_twice(inspector, today):
    member = MemberFactory()
    InspectorConflictFactory(inspector=inspector, member=member, relationship="relative", declared_on=today)

    with pytest.raises(ValidationError) as error:
        conflict_declare(inspector=inspector, member=member, relationship="other", declared_on=today)

    (message,) = error.value.message_dict["member"]
    assert message.startswith(f"Inspectora Quispe already declared a conflict of interest with {member} (relative)")
    assert InspectorConflict.objects.count() == 1


def test_it_refuses_a_future_declaration_and_an_unknown_relationship(inspector, today):
    with pytest.raises(ValidationError) as error:
        conflict_declare(inspector=inspector, member=MemberFactory(), relationship="friend", declared_on=today + DAY)

    assert error.value.message_dict == {
        "relationship": ["Choose the relationship between the inspector and the member."],
        "declared_on": ["The date cannot be in the future."],
    }
    assert not InspectorConflict.objects.exists()
