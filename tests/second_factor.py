"""Two-step verification for the tests: a known key, and the code an authenticator app would show.

Accounts that need a second factor get an app with TEST_TOTP_KEY (the factories give it to
accounts with roles; `sign_in` and `force_login` give it to anyone else who needs one), so the
real sign-in pages are passed with a real code. Codes work once each; the test app accepts codes
of a wide window of steps, so a test may sign the same person in many times within 30 seconds
(each sign-in uses the next step's code, as if the person waited for a new one).
"""

import time

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.second_factor import second_factor_app, second_factor_key_give

TEST_TOTP_KEY = bytes.fromhex("48776220746573742d6f6e6c79206b657920f09f")  # 20 bytes
TEST_TOLERANCE = 200  # steps either side: ample for any test, never used in production


def give_second_factor(user: User) -> TOTPDevice:
    """The account's authenticator app, set up with the test key if it has none."""
    app = second_factor_app(user)
    if app is None:
        app = second_factor_key_give(actor=None, account=user, key=TEST_TOTP_KEY)
        TOTPDevice.objects.filter(pk=app.pk).update(tolerance=TEST_TOLERANCE)
        app.refresh_from_db()
    return app


def code_at(key: bytes, step: int) -> str:
    totp = TOTP(key)
    totp.time = step * totp.step
    return f"{totp.token():06d}"


def current_code(key: bytes) -> str:
    """What an app holding `key` shows now."""
    return code_at(key, int(time.time()) // 30)


def next_code(user: User) -> str:
    """A code the account's app would accept now and has not accepted before."""
    app = TOTPDevice.objects.get(pk=give_second_factor(user).pk)
    now = int(time.time()) // app.step + app.drift
    step = max(app.last_t + 1, now)
    if step > now + app.tolerance:
        if step - now > 2 * app.tolerance + 2:
            # The test travelled back in time past codes already used: forget them.
            TOTPDevice.objects.filter(pk=app.pk).update(last_t=now - 1)
            step = now
        else:
            # A narrow window (an app set up through the pages): wait for a new code, as people do.
            wait = (step - app.tolerance - now) * app.step - time.time() % app.step + 0.2
            time.sleep(wait)
    return code_at(app.bin_key, step)
