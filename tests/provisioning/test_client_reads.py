"""What a Provisioning Client's token may read: its own school's runs, found by the selectors."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied

from provisioning.credentials import client_token_issue
from provisioning.models import ProvisioningRun
from provisioning.selectors import run_for_client, runs_for_client
from provisioning.services.runs import run_receive

from .builders import snapshot

pytestmark = pytest.mark.django_db


def receive(school, hours: int) -> ProvisioningRun:
    at = datetime(2026, 9, 1, tzinfo=UTC) + timedelta(hours=hours)
    return run_receive(school=school, snapshot=snapshot(school, extracted_at=at), enqueue=False)


def test_a_token_reads_its_own_schools_run_and_no_other(school, other_school):
    token, _secret = client_token_issue(school=school, actor=None)
    ours, theirs = receive(school, 1), receive(other_school, 1)

    assert run_for_client(token=token, run_id=ours.pk) == ours
    with pytest.raises(PermissionDenied):
        run_for_client(token=token, run_id=theirs.pk)
    with pytest.raises(ProvisioningRun.DoesNotExist):
        run_for_client(token=token, run_id=theirs.pk + 1000)


def test_a_token_lists_its_own_schools_latest_runs_newest_first(school, other_school):
    token, _secret = client_token_issue(school=school, actor=None)
    first, second, third = (receive(school, hours) for hours in (1, 2, 3))
    receive(other_school, 4)

    assert runs_for_client(token=token, limit=2) == [third, second]
    assert runs_for_client(token=token, limit=10) == [third, second, first]
