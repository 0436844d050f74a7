"""Who may do what: the one module that decides, from the user's programme profile.

QuerySets (`visible_to`, `editable_by`) and views ask these functions; no view or template tests a
role itself. A user with no profile (and not superuser) may do nothing.
"""

from contextvars import ContextVar

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("administrateur")
    COORDINATOR = "coordinator", _("coordinateur")
    REFERENT = "referent", _("référent maître d'ouvrage")
    PARTNER = "partner", _("partenaire financeur")
    COMMITTEE = "committee", _("membre du comité")


# What a partner may change on its own funding lines: their state, the decision and the yearly split.
PARTNER_EDITABLE_FUNDING_FIELDS = ("status", "decision_reference", "decision_date", "years_complete")
# Other funders' lines a partner may see on a fiche it funds: only what is settled, never negotiations.
SETTLED_FUNDING_STATUSES = ("granted", "paid")
# The roles a coordinator may give or take away: never its own, never an administrator's.
ROLES_A_COORDINATOR_GRANTS = (Role.REFERENT, Role.PARTNER, Role.COMMITTEE)


# -- The programme a user works in -----------------------------------------------------------------------------
#
# Roles are per programme: a user has one profile (role, organisation) in each programme it works in. Which
# programme a request works in is put on the user by acv.middleware.ActiveProgrammeMiddleware
# (`user.active_programme`, a programme code: from the URL, else the one chosen with the switcher); without it
# (an API token, a shell, a task) it is the default programme if the user has a role there, else the first
# programme where it has one. Every function below reads the role of that programme only.


def _cache(user):
    """Where the user's roles are cached for the request: on the user itself, not on a lazy wrapper around it
    (the authentication and the second-factor middlewares each wrap the same user in their own)."""
    from django.utils.functional import LazyObject, empty

    while isinstance(user, LazyObject):  # a wrapper may wrap another wrapper
        if user._wrapped is empty:
            user._setup()
        user = user._wrapped
    return user.__dict__


def default_programme_code():
    from django.conf import settings

    return settings.ACV_DEFAULT_PROGRAMME


def _profiles_by_code(user):
    """{programme code: profile} of the user, programme and organisation joined: one query per user object."""
    if "_profiles" not in _cache(user):
        from conventions.models import UserProfile

        profiles = (
            UserProfile.objects.select_related("organisation", "programme")
            .filter(user_id=user.pk)
            .order_by("programme__position", "programme__name")
        )
        _cache(user)["_profiles"] = {profile.programme.code: profile for profile in profiles}
    return _cache(user)["_profiles"]


def _every_programme(user):
    """{code: Programme} of every programme, for an administrator (a role in each), cached on the user."""
    if "_programmes" not in _cache(user):
        from conventions.models import Programme

        _cache(user)["_programmes"] = {programme.code: programme for programme in Programme.objects.all()}
    return _cache(user)["_programmes"]


def programme_codes_of(user):
    """Codes of the programmes where the user has a role, in the programmes' order."""
    if user is None or not user.is_authenticated:
        return []
    if user.is_superuser:
        return list(_every_programme(user))
    return list(_profiles_by_code(user))


# The programme of the request being served (its URL's, or the one chosen with the switcher), for the users the
# middleware did not meet: the API authenticates its token users inside the view, on another user object.
request_programme = ContextVar("request_programme", default=None)


def programmes_of(user):
    """The Programmes where the user has a role, in order, from what programme_codes_of already read (no query)."""
    if user is None or not user.is_authenticated:
        return []
    if user.is_superuser:
        return list(_every_programme(user).values())
    return [profile.programme for profile in _profiles_by_code(user).values()]


def active_programme_code(user):
    """The code of the programme this request works in (see above)."""
    chosen = (getattr(user, "active_programme", None) if user is not None else None) or request_programme.get()
    if chosen:
        return chosen
    default = default_programme_code()
    codes = programme_codes_of(user)
    if not codes or default in codes:
        return default
    return codes[0]


def active_programme(user):
    """The Programme this request works in (None when it does not exist)."""
    from conventions.models import Programme

    code = active_programme_code(user)
    if user is not None and user.is_authenticated:
        if user.is_superuser:
            known = _every_programme(user)
        else:
            known = {code: profile.programme for code, profile in _profiles_by_code(user).items()}
        if code in known:
            return known[code]
        # A programme where the user has no role: looked up once per user object.
        lookups = _cache(user).setdefault("_programme_lookups", {})
        if lookups.get(code) is None:
            lookups[code] = Programme.objects.filter(code=code).first()
        return lookups[code]
    return Programme.objects.filter(code=code).first()


def active_programme_id(user):
    programme = active_programme(user)
    return programme.pk if programme else None


def profile_of(user):
    """The user's profile in the active programme (None: no role there)."""
    if user is None or not user.is_authenticated:
        return None
    return _profiles_by_code(user).get(active_programme_code(user))


class working_in:
    """`with roles.working_in(user, "cdv"):` reads the user's role and rows in that programme, then goes back to
    the request's programme (the cross-programme view reads each programme in turn)."""

    def __init__(self, user, code):
        self.user, self.code = user, code

    def __enter__(self):
        self.before = _cache(self.user).get("active_programme")
        self.user.active_programme = self.code
        return self.user

    def __exit__(self, *exc):
        if self.before is None:
            _cache(self.user).pop("active_programme", None)
        else:
            self.user.active_programme = self.before
        return False


def coordinated_programmes(user):
    """Codes of the programmes the user coordinates (administrator or coordinator there)."""
    coordinated = []
    for code in programme_codes_of(user):
        with working_in(user, code):
            if edits_everything(user):
                coordinated.append(code)
    return coordinated


def sees_cross_programme_view(user):
    """The agglomeration's view of its programmes side by side: for who coordinates at least two of them."""
    return len(coordinated_programmes(user)) >= 2


def forget_cached_roles(user):
    """After a profile of this user changed in the same request (or test)."""
    for name in ("_profiles", "_programmes", "_programme_lookups", "_signed_conventions", "_signed_documents"):
        _cache(user).pop(name, None)


def role_of(user):
    """The user's role in the active programme, ADMIN for a superuser, None for anonymous users and accounts
    without a role there."""
    if user is None or not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.ADMIN
    profile = profile_of(user)
    return profile.role if profile else None


def organisation_id_of(user):
    profile = profile_of(user) if user is not None and user.is_authenticated else None
    return profile.organisation_id if profile else None


def reads_everything(user):
    """Admin, coordinator, référent and comité read the whole programme."""
    return role_of(user) in (Role.ADMIN, Role.COORDINATOR, Role.REFERENT, Role.COMMITTEE)


def edits_everything(user):
    return role_of(user) in (Role.ADMIN, Role.COORDINATOR)


def is_partner(user):
    return role_of(user) == Role.PARTNER and organisation_id_of(user) is not None


def is_referent(user):
    return role_of(user) == Role.REFERENT and organisation_id_of(user) is not None


def may_edit_some_fiches(user):
    """Whoever edits fiches at all (coordination, référents): the edit form's pieces are theirs only."""
    return edits_everything(user) or is_referent(user)


def can_create_actions(user):
    return edits_everything(user)


def can_export_programme_reports(user):
    """The semester report and programme-wide exports: not for partners (they get their own share)."""
    return role_of(user) in (Role.ADMIN, Role.COORDINATOR, Role.COMMITTEE)


def programme_files_national_table(user):
    """Whether the programme the user works in files a national table of its actions (programme configuration:
    ACV does, by its avenant n°2; the Contrat de Ville does not)."""
    programme = active_programme(user)
    return programme is not None and programme.has_national_table


def programme_reports_every_semester(user):
    """Whether the programme the user works in reports every semester, and so has a semester report (programme
    configuration: ACV does, by its avenant n°2; the Contrat de Ville reports every year)."""
    programme = active_programme(user)
    return programme is not None and not programme.is_annual


def programme_has_evaluation_grid(user):
    """Whether the programme the user works in follows its results in an evaluation grid (programme configuration:
    ACV does, by Article 8 of its avenant n°2; the Contrat de Ville does not)."""
    programme = active_programme(user)
    return programme is not None and programme.has_evaluation_grid


def reads_evaluation_grid(user):
    """The evaluation grid: in a programme that has one, for every account with a role on it."""
    return programme_has_evaluation_grid(user) and has_programme_role(user)


def sees_national_table(user):
    """The national table: in a programme that files one, for the coordination and the comité."""
    return programme_files_national_table(user) and can_export_programme_reports(user)


def can_export_funding_lines(user):
    """The funding lines as XLSX: every line for the roles that read everything, for a partner the lines it may
    see (its own, the others' settled ones)."""
    return reads_everything(user) or is_partner(user)


def can_manage_meetings(user):
    return edits_everything(user)


def can_administer(user):
    return role_of(user) == Role.ADMIN


def has_programme_role(user):
    """Any account with a role reads the programme's reference lists (organisations, axes, conventions)."""
    return role_of(user) is not None


def can_edit_reference_data(user):
    """Organisations, conventions and avenants, axes, the evaluation grid and its values: kept by the coordination."""
    return edits_everything(user)


def sees_every_funding_line(user):
    """Who reads every line in every state — and so the *part prévue*, which adds lines still under
    negotiation. A partner sees only the *part acquise* and its own lines."""
    return reads_everything(user)


def sees_funding_line_detail(user, line):
    """A partner reads the remarks of its own lines only; on other funders' settled lines it sees the
    figures, not the notes of their negotiation."""
    return not is_partner(user) or line.funder_id == organisation_id_of(user)


def signed_conventions_of(user):
    """Ids of the conventions the user's organisation signed (the convention itself or one of its avenants),
    cached on the user for the request."""
    from conventions.models import Signatory

    if not hasattr(user, "_signed_conventions"):
        organisation = organisation_id_of(user)
        user._signed_conventions = (
            set(Signatory.objects.filter(organisation_id=organisation).values_list("convention_id", flat=True))
            if organisation
            else set()
        )
    return user._signed_conventions


def sees_signed_funding_text(user, action):
    """The financing paragraph of a fiche as its signed document writes it names every funder's share: it
    stays readable by those who read everything and by the partners that signed that document — it is what
    they signed. A partner that did not sign it reads only the lines it may see."""
    if reads_everything(user):
        return True
    return is_partner(user) and bool(action.source_document) and action.convention_id in signed_conventions_of(user)


def signed_documents_of(user):
    """(convention ids, amendment ids) of the documents the user's organisation signed — for a draft avenant, is
    named to sign — cached on the user for the request. A convention counts only when signed itself (not
    through one of its avenants)."""
    from conventions.models import Signatory

    if not hasattr(user, "_signed_documents"):
        organisation = organisation_id_of(user)
        conventions, amendments = set(), set()
        if organisation:
            for convention_id, amendment_id in Signatory.objects.filter(organisation_id=organisation).values_list(
                "convention_id", "amendment_id"
            ):
                if amendment_id is None:
                    conventions.add(convention_id)
                else:
                    amendments.add(amendment_id)
        user._signed_documents = (conventions, amendments)
    return user._signed_documents


def reads_documents(user):
    """Who may open the documents' pages at all: the roles that read the programme, and partners (each then
    reads the documents it signed, see reads_document_text)."""
    return reads_everything(user) or is_partner(user)


def reads_document_text(user, convention_id, amendment_id=None):
    """The text of a convention or an avenant (parties, articles, the fiches it lists, its balance as written):
    read by the roles that read the programme, and by a partner that signed that very document — it is what
    it signed. A partner that did not sign it does not learn it from the application."""
    if reads_everything(user):
        return True
    if not is_partner(user):
        return False
    conventions, amendments = signed_documents_of(user)
    return amendment_id in amendments if amendment_id else convention_id in conventions


def compares_document_figures(user):
    """The figures the application computes next to a document's own (a balance, its differences as quality
    notes) read every fiche's state and every line: for the roles that read the whole programme."""
    return reads_everything(user)


def can_prepare_amendments(user):
    """Drafting the next avenant, and marking it signed: the coordination."""
    return edits_everything(user)


def validating_organisation(user):
    """The organisation a user gives its word for on a fiche (ActionValidation): a partner, a référent or the
    coordinator each speaks for its own organisation; None for the others (a comité member speaks for none)."""
    if role_of(user) in (Role.PARTNER, Role.REFERENT, Role.COORDINATOR):
        return organisation_id_of(user)
    return None
