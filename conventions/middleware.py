"""Which programme a request works in: put on the user for the request, read by conventions.roles."""

from conventions import roles

# The session key of the programme chosen with the switcher.
SESSION_KEY = "programme"


class ActiveProgrammeMiddleware:
    """Sets `request.user.active_programme` (a programme code) from the programme chosen with the switcher, when
    the user has a role there; else roles.active_programme_code decides (the default programme, or the only one
    where the user has a role). `role_of(user)` and every `visible_to(user)` then read that programme only.

    After AuthenticationMiddleware. The API's token authentication runs inside the view: a token user works in
    roles.active_programme_code's programme."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if user is not None and session is not None and user.is_authenticated:
            chosen = session.get(SESSION_KEY)
            if chosen and chosen in roles.programme_codes_of(user):
                user.active_programme = chosen
        return self.get_response(request)
