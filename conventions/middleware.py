"""Which programme a request works in: put on the user for the request, read by conventions.roles."""

from conventions import roles


class ActiveProgrammeMiddleware:
    """Sets `request.user.active_programme` (a programme code): the programme in the URL (`/cdv/…`, see
    conventions.programme_urls); without a prefix, roles.active_programme_code decides (the default programme, or
    the only one where the user has a role, so that its links and API clients need no prefix).
    `role_of(user)` and every `visible_to(user)` then read that programme only, and every URL the request
    reverses carries its prefix (none for the default programme).

    After AuthenticationMiddleware. The API's token authentication runs inside the view, on another user object:
    the URL's programme is also kept for the request in roles.request_programme."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from conventions.programme_urls import ScriptPrefix, programme_prefix, split_programme

        user = getattr(request, "user", None)
        # The programme in the URL comes first: /cdv/fiches/ is the Contrat de Ville's list, whatever was chosen.
        code, request.path_info = split_programme(request.path_info)
        if user is not None and user.is_authenticated:
            if code:
                user.active_programme = code
            code = roles.active_programme_code(user)
        script_prefix = ScriptPrefix()
        script_prefix.use(programme_prefix(code, roles.default_programme_code()))
        token = roles.request_programme.set(code)
        try:
            return self.get_response(request)
        finally:
            roles.request_programme.reset(token)
            script_prefix.restore()
