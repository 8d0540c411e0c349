"""What every page's header needs to know about the session: a second factor still to give."""

from .second_factor import second_factor_required


def second_factor(request):
    def pending() -> bool:
        user = getattr(request, "user", None)
        return bool(
            user is not None
            and user.is_authenticated
            and second_factor_required(user)
            and not user.is_verified()
        )

    # Called by the template only when it asks (the header of a signed-in page).
    return {"second_factor_pending": pending}
