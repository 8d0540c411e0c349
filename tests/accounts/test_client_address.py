"""The client's address, behind HWB_TRUSTED_PROXY_COUNT reverse proxies: the one the lock-out,
the audit log and the API's rate limits see."""

import os
import subprocess
import sys

from axes.models import AccessAttempt

from accounts.models import AuditEntry
from tests.factories import PASSWORD

from .test_lockout import SCHOOL_ADDRESS, _sign_in


def test_behind_one_trusted_proxy_the_address_is_the_one_the_proxy_saw(staff_member, settings):
    settings.HWB_TRUSTED_PROXY_COUNT = 1
    proxy = {"HTTP_X_FORWARDED_FOR": "203.0.113.9, 198.51.100.7"}  # forged entry, then nginx's
    _sign_in(staff_member.username, "Wrong-Guess-1", address="172.18.0.5", **proxy)
    assert AccessAttempt.objects.get().ip_address == "198.51.100.7"
    _sign_in(staff_member.username, PASSWORD, address="172.18.0.5", **proxy)
    entry = AuditEntry.objects.get(action="account.signed_in")
    assert entry.ip_address == "198.51.100.7"


def test_with_no_trusted_proxy_a_forged_header_is_ignored(staff_member, settings):
    settings.HWB_TRUSTED_PROXY_COUNT = 0
    settings.HWB_SIGNIN_ADDRESS_FAILURE_LIMIT = 6
    # Each try claims another address: none escapes the ceiling of the real one.
    for number in range(6):
        _sign_in(f"guess{number}", "x", HTTP_X_FORWARDED_FOR=f"203.0.113.{number}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {SCHOOL_ADDRESS}
    assert _sign_in(staff_member.username, PASSWORD).status_code == 429
    _sign_in(staff_member.username, PASSWORD, address="10.1.1.1", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert AuditEntry.objects.get(action="account.signed_in").ip_address == "10.1.1.1"


def test_one_variable_sets_the_proxies_for_sign_in_audit_and_rate_limits():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.HWB_TRUSTED_PROXY_COUNT, s.REST_FRAMEWORK['NUM_PROXIES'], "
        "s.AXES_CLIENT_IP_CALLABLE)"
    )
    env = {
        **os.environ,
        "HWB_TRUSTED_PROXY_COUNT": "2",
        "DJANGO_SETTINGS_MODULE": "hwb_portal.settings.test",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["2", "2", "core.http.client_ip"]
