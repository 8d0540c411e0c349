"""What the accessibility statement says it is tested by and what it still lacks: kept here, beside
the code, so a test can hold the statement true (every browser journey is listed)."""

from datetime import date

from django.utils.translation import gettext_lazy as _

PREPARED_ON = date(2026, 12, 4)
REVIEWED_ON = date(2026, 12, 4)

# Each browser journey (tests/browser/<module>.py) runs in Chromium with axe on every page it
# reaches and a 375 px width check; the keyboard ones use the keyboard only.
TESTED_JOURNEYS = {
    "test_transfer_journeys": _(
        "Account Transfer: a member of staff's request, the headteacher's decision by email link, "
        "proceeding and cancelling, in English and Welsh"
    ),
    "test_journeys": _("Signing in, User management and Your Details"),
    "test_welsh_pages": _("Choosing Cymraeg at sign-in and every page after it in Welsh"),
    "test_second_factor_journey": _("Setting up and using two-step verification"),
    "test_lockout_journey": _("A locked account, explained and unlocked"),
    "test_champion_toolset_journey": _(
        "A digital champion's accounts: create, keep, close, download, reset in bulk, promote"
    ),
    "test_champion_names_journey": _("Changing a name and username"),
    "test_tutor_journey": _("A teacher resetting their registration group's passwords"),
    "test_authority_accounts_journey": _("A local authority's own staff accounts"),
    "test_provisioning_journey": _("The Provisioning page and its records to correct"),
    "test_notice_journeys": _("A local authority's notices of new schools, mergers and closures"),
    "test_merger_journey": _("Reviewing staff account matches and following their move"),
    "test_service_desk_journey": _("Keeping an existing Hwb account through the service desk"),
    "test_hwb_team_journey": _("The Hwb team's work queue in the admin"),
    "test_focus_after_skip_link": _("The skip link, then a form's error summary taking focus"),
    "test_keyboard_journeys": _(
        "Keyboard only, in English and Welsh, 1280 and 320 pixels wide: a member of staff to "
        "Account Transfer, a digital champion's search, a headteacher's decision from the "
        "email link, an officer's notice, the Hwb team's work queue"
    ),
    "test_timeout_warning": _(
        "The warning before User management asks for the password again, answered by keyboard"
    ),
}

# Known problems, with the WCAG 2.2 criterion each fails and when it will be fixed.
KNOWN_ISSUES = [
    (
        _(
            "Some pages of the Hwb team's admin (Django's own) need scrolling sideways on a "
            "screen 320 pixels wide."
        ),
        "1.4.10",
        date(2027, 3, 31),
    ),
]
