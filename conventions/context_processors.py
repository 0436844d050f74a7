"""What every page shows of the programme it works in: its name and words, the user's role there, the switcher."""

from conventions import roles


def programme(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from conventions.models import Programme

    codes = roles.programme_codes_of(user)
    active = roles.active_programme(user)
    return {
        "programme": active,
        "active_profile": roles.profile_of(user),
        # Only the programmes where the user has a role: the switcher offers nothing else.
        "user_programmes": lambda: sorted(
            Programme.objects.filter(code__in=codes), key=lambda programme: codes.index(programme.code)
        ),
    }
