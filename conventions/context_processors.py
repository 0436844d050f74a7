"""What every page shows of the programme it works in: its name and words, the user's role there, the switcher."""

from conventions import roles


def programme(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        # The sign-in page and the statements still say which programme they are about (the URL's, else the
        # default one).
        return {"programme": roles.active_programme(user)}
    return {
        "programme": roles.active_programme(user),
        "active_profile": roles.profile_of(user),
        # Only the programmes where the user has a role: the switcher offers nothing else.
        "user_programmes": roles.programmes_of(user),
    }
