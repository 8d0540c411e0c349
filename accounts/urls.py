from django.urls import path

from . import authority_views, bulk_reset_views, champion_views, second_factor_views, views

app_name = "accounts"

urlpatterns = [
    path("sign-in/", views.SignInView.as_view(), name="sign_in"),
    path("sign-out/", views.SignOutView.as_view(), name="sign_out"),
    path("change-password/", views.password_change, name="password_change"),
    path("second-factor/", second_factor_views.second_factor, name="second_factor"),
    path(
        "second-factor/set-up/",
        second_factor_views.second_factor_set_up,
        name="second_factor_set_up",
    ),
    path(
        "second-factor/recovery-codes/",
        second_factor_views.recovery_codes,
        name="recovery_codes",
    ),
    path(
        "user-management/my-profile/recovery-codes/",
        second_factor_views.recovery_codes_new,
        name="recovery_codes_new",
    ),
    path("user-management/sign-in/", views.reauth, name="reauth"),
    path("user-management/stay/", views.reauth_keep, name="reauth_keep"),
    path(
        "user-management/accounts/", champion_views.champion_account_list, name="champion_accounts"
    ),
    path("user-management/activity/", champion_views.school_activity, name="school_activity"),
    path(
        "user-management/accounts/new/",
        champion_views.non_mis_account_new,
        name="non_mis_account_new",
    ),
    path(
        "user-management/accounts/reset-passwords/",
        bulk_reset_views.champion_bulk_reset,
        name="champion_bulk_reset",
    ),
    path(
        "user-management/accounts/credentials/",
        bulk_reset_views.credentials_sheet,
        name="credentials_sheet",
    ),
    path(
        "user-management/accounts/credentials/download/",
        bulk_reset_views.credentials_download,
        name="credentials_download",
    ),
    path(
        "user-management/accounts/primary-passwords/",
        bulk_reset_views.primary_passwords,
        name="primary_passwords",
    ),
    path(
        "user-management/authority-accounts/",
        authority_views.authority_accounts,
        name="authority_accounts",
    ),
    path(
        "user-management/authority-accounts/new/",
        authority_views.authority_account_new,
        name="authority_account_new",
    ),
    path(
        "user-management/authority-accounts/<int:pk>/",
        authority_views.authority_account,
        name="authority_account",
    ),
    path(
        "user-management/authority-accounts/<int:pk>/reset-password/",
        authority_views.authority_account_reset,
        name="authority_account_reset",
    ),
    path(
        "user-management/authority-accounts/<int:pk>/keep/",
        authority_views.authority_account_keep,
        name="authority_account_keep",
    ),
    path(
        "user-management/authority-accounts/<int:pk>/close/",
        authority_views.authority_account_close,
        name="authority_account_close",
    ),
    path(
        "user-management/registration-group/",
        bulk_reset_views.tutor_group_passwords,
        name="tutor_group_passwords",
    ),
    path(
        "user-management/accounts/<int:pk>/name/",
        champion_views.champion_account_rename,
        name="champion_account_rename",
    ),
    path(
        "user-management/accounts/<int:pk>/keep/",
        champion_views.non_mis_account_keep,
        name="non_mis_account_keep",
    ),
    path(
        "user-management/accounts/<int:pk>/close/",
        champion_views.non_mis_account_close,
        name="non_mis_account_close",
    ),
    path(
        "user-management/accounts/download.csv",
        champion_views.champion_accounts_download,
        name="champion_accounts_download",
    ),
    path(
        "user-management/accounts/<int:pk>/",
        champion_views.champion_account_detail,
        name="champion_account",
    ),
    path(
        "user-management/accounts/<int:pk>/digital-champion/",
        champion_views.champion_role,
        name="champion_role",
    ),
    path(
        "user-management/accounts/<int:pk>/unlock/",
        champion_views.champion_account_unlock,
        name="champion_account_unlock",
    ),
    path(
        "user-management/accounts/<int:pk>/reset-password/",
        champion_views.champion_password_reset,
        name="champion_password_reset",
    ),
    path(
        "user-management/accounts/<int:pk>/reset-password/one-time-password/",
        champion_views.champion_password_reset_done,
        name="champion_password_reset_done",
    ),
]
