"""Sign-in by Hwb username, case-insensitively (or by a former username, for a year after a
change of name), and the username django-axes counts failures by."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.utils import timezone

UserModel = get_user_model()


class UsernameBackend(ModelBackend):
    """Django's ModelBackend (the manager's natural key already ignores case), which also takes
    a former username that still works: its account signs in with its own password."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None or not username or password is None:
            return user
        from .models import UsernameAlias  # the app registry is ready by now

        alias = (
            UsernameAlias.objects.filter(
                username=username.strip().lower(), until__gt=timezone.now()
            )
            .select_related("account")
            .first()
        )
        if alias is None:
            return None
        account = alias.account
        if account.check_password(password) and self.user_can_authenticate(account):
            return account
        return None

    def get_user(self, user_id):
        """The account behind a request, with its school in the same query (most pages name
        it); Django then checks the session's hash (``session_generation``) against it."""
        try:
            user = UserModel._default_manager.select_related("school").get(pk=user_id)
        except UserModel.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


def axes_username(request, credentials) -> str:
    """Count failures per lower-cased username, so 'BloggsJ' and 'bloggsj' share a lock-out, and
    a former username's with its account's: an alias gives a guesser no second five tries."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    username = username.strip().lower()[:64]
    from .models import UsernameAlias  # the app registry is ready by now

    current = (
        UsernameAlias.objects.filter(username=username, until__gt=timezone.now())
        .values_list("account__username", flat=True)
        .first()
    )
    return current or username
