"""Links in emails, whatever they are for: genuine, in date, for their own purpose only."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from core.links import LinkExpired, LinkInvalid, LinkPurpose, link_read, link_token

DECIDE = LinkPurpose(salt="tests.decide", session_key="tests_decide")
AUTHORISE = LinkPurpose(salt="tests.authorise", session_key="tests_authorise")
DAY = timedelta(days=1)


def test_a_link_carries_its_object_and_nonce():
    link = link_read(link_token(purpose=DECIDE, pk=7, nonce="abc"), purpose=DECIDE, max_age=DAY)
    assert (link.pk, link.nonce) == (7, "abc")


def test_a_link_for_one_purpose_is_refused_for_another():
    token = link_token(purpose=DECIDE, pk=7, nonce="abc")
    with pytest.raises(LinkInvalid):
        link_read(token, purpose=AUTHORISE, max_age=DAY)


def test_a_tampered_link_is_refused():
    token = link_token(purpose=DECIDE, pk=7, nonce="abc")
    with pytest.raises(LinkInvalid):
        link_read(token[:-2] + "xx", purpose=DECIDE, max_age=DAY)


def test_an_old_link_has_expired():
    token = link_token(purpose=DECIDE, pk=7, nonce="abc")
    with time_machine.travel(timezone.now() + 2 * DAY), pytest.raises(LinkExpired):
        link_read(token, purpose=DECIDE, max_age=DAY)
