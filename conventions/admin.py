from django.contrib import admin
from django.core.exceptions import PermissionDenied

from conventions import roles
from conventions.models import (
    Amendment,
    Axis,
    AxisWording,
    BalanceItem,
    CallForProjects,
    CommitteeMeeting,
    Convention,
    DocumentArticle,
    Objective,
    Organisation,
    OrganisationAlias,
    PresentedSemester,
    PriorityNeighbourhood,
    Programme,
    ProgrammeFigure,
    Sector,
    Signatory,
    SubAxis,
    UserProfile,
)


class AxisInline(admin.TabularInline):
    model = Axis
    extra = 0


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "level1_label", "fiche_label", "reporting_rhythm"]
    search_fields = ["name", "code"]
    inlines = [AxisInline]


class AxisWordingInline(admin.TabularInline):
    model = AxisWording
    extra = 0


class SubAxisInline(admin.TabularInline):
    model = SubAxis
    extra = 0


@admin.register(Axis)
class AxisAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "programme"]
    list_filter = ["programme"]
    search_fields = ["title", "wordings__title"]
    inlines = [AxisWordingInline, SubAxisInline]


@admin.register(AxisWording)
class AxisWordingAdmin(admin.ModelAdmin):
    list_display = ["axis", "version", "title"]
    list_filter = ["version"]
    search_fields = ["title"]


@admin.register(SubAxis)
class SubAxisAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "axis"]
    list_filter = ["axis__programme", "axis"]
    search_fields = ["code", "title"]


@admin.register(Objective)
class ObjectiveAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "sub_axis"]
    list_filter = ["sub_axis__axis__programme", "sub_axis__axis"]
    search_fields = ["code", "title"]


@admin.register(CallForProjects)
class CallForProjectsAdmin(admin.ModelAdmin):
    list_display = ["title", "programme", "year", "submitted_count", "retained_count", "refused_count"]
    list_filter = ["programme"]


@admin.register(ProgrammeFigure)
class ProgrammeFigureAdmin(admin.ModelAdmin):
    list_display = ["label", "programme", "year", "group", "value", "unit"]
    list_filter = ["programme", "year", "group"]
    search_fields = ["label", "stated_text"]


class OrganisationAliasInline(admin.TabularInline):
    model = OrganisationAlias
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "kind", "parent", "insee_code", "siret"]
    list_filter = ["kind"]
    search_fields = ["name", "short_name", "key", "aliases__name", "insee_code", "siret"]
    autocomplete_fields = ["parent"]
    inlines = [OrganisationAliasInline]


@admin.register(OrganisationAlias)
class OrganisationAliasAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation"]
    search_fields = ["name", "organisation__name"]


class AmendmentInline(admin.StackedInline):
    model = Amendment
    extra = 0


class SignatoryInline(admin.TabularInline):
    model = Signatory
    extra = 0
    autocomplete_fields = ["organisation"]


@admin.register(Convention)
class ConventionAdmin(admin.ModelAdmin):
    list_display = ["title", "signed_on", "starts_on", "ends_on"]
    list_filter = ["programme"]
    search_fields = ["title"]
    date_hierarchy = "signed_on"
    inlines = [AmendmentInline, SignatoryInline]


@admin.register(Amendment)
class AmendmentAdmin(admin.ModelAdmin):
    list_display = ["__str__", "convention", "status", "signed_on", "covers_from", "covers_to"]
    list_filter = ["convention", "status"]
    readonly_fields = ["status"]
    search_fields = ["title"]


@admin.register(DocumentArticle)
class DocumentArticleAdmin(admin.ModelAdmin):
    list_display = ["reference", "title", "convention", "amendment"]
    list_filter = ["convention", "amendment"]
    search_fields = ["reference", "title", "summary"]


@admin.register(BalanceItem)
class BalanceItemAdmin(admin.ModelAdmin):
    list_display = ["territory", "measure", "stated_value", "amendment"]
    list_filter = ["amendment", "measure"]
    search_fields = ["stated_text"]


@admin.register(Signatory)
class SignatoryAdmin(admin.ModelAdmin):
    list_display = ["organisation", "representative", "role", "convention", "amendment"]
    list_filter = ["role", "convention", "amendment"]
    search_fields = ["organisation__name", "representative"]
    autocomplete_fields = ["organisation"]


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ["name", "commune", "kind", "amendment"]
    list_filter = ["commune", "kind"]
    search_fields = ["name", "description"]


@admin.register(PriorityNeighbourhood)
class PriorityNeighbourhoodAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "source"]
    list_filter = ["communes"]
    search_fields = ["name", "code"]
    filter_horizontal = ["communes"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "communes":
            kwargs["queryset"] = Organisation.objects.communes()
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(CommitteeMeeting)
class CommitteeMeetingAdmin(admin.ModelAdmin):
    list_display = ["held_on", "kind", "title", "convention"]
    list_filter = ["kind", "convention"]
    search_fields = ["title", "agenda", "decisions"]
    date_hierarchy = "held_on"
    filter_horizontal = ["attending_organisations"]


@admin.register(PresentedSemester)
class PresentedSemesterAdmin(admin.ModelAdmin):
    """Semesters frozen by a report presented to the comité: recorded when the report is presented."""

    list_display = ["convention", "year", "semester", "meeting", "presented_at"]
    list_filter = ["convention", "year"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(UserProfile)
class UserProfileAdmin(admin.ModelAdmin):
    """Profiles through UserProfile.objects.visible_to / editable_by: a coordinator manages the roles below
    its own and never its own profile, so it cannot raise itself (or anyone) to coordinator or administrator."""

    list_display = ["user", "programme", "role", "organisation"]
    list_filter = ["programme", "role"]
    search_fields = ["user__username", "user__last_name", "organisation__name"]
    autocomplete_fields = ["organisation"]

    def get_queryset(self, request):
        return UserProfile.objects.visible_to(request.user).select_related("user", "organisation")

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        return UserProfile.objects.editable_by(request.user).filter(pk=obj.pk).exists()

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj) and super().has_delete_permission(request, obj)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role" and not roles.can_administer(request.user):
            kwargs["choices"] = [(role.value, role.label) for role in roles.ROLES_A_COORDINATOR_GRANTS]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "programme" and not roles.can_administer(request.user):
            # Roles are per programme: a coordinator gives roles in the programme it coordinates only.
            kwargs["queryset"] = Programme.objects.filter(pk=roles.active_programme_id(request.user))
        if db_field.name == "user" and not roles.can_administer(request.user):
            # A coordinator gives a role to accounts without one, not to itself nor to other staff.
            from django.contrib.auth import get_user_model

            kwargs["queryset"] = (
                get_user_model()
                .objects.filter(is_superuser=False, is_staff=False)
                .exclude(pk=request.user.pk)
                .exclude(profiles__role__in=[roles.Role.ADMIN, roles.Role.COORDINATOR])
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        # The form's choices are a courtesy; the rule is checked again on what is written.
        if not roles.can_administer(request.user) and (
            obj.role not in roles.ROLES_A_COORDINATOR_GRANTS or obj.user_id == request.user.pk
        ):
            raise PermissionDenied(
                "Vous ne pouvez attribuer que les rôles de référent, partenaire ou membre du comité."
            )
        if not roles.can_administer(request.user) and obj.programme_id != roles.active_programme_id(request.user):
            raise PermissionDenied("Vous ne pouvez attribuer de rôle que dans le programme que vous coordonnez.")
        super().save_model(request, obj, form, change)
