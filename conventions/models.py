"""Programmes, their nomenclature, organisations, conventions and their governance."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from acv.values import DATE_BOUNDS, YEAR_BOUNDS, ActionKind
from conventions.managers import (
    CommitteeMeetingQuerySet,
    DocumentPartQuerySet,
    DocumentQuerySet,
    OrganisationQuerySet,
    ReferenceQuerySet,
    UserProfileQuerySet,
)
from conventions.roles import Role


class ReportingRhythm(models.TextChoices):
    """How often a programme reports on its fiches: ACV every semester (avenant n°2, Article 4), the Contrat de
    Ville every year (the annual report of décret n°2015-1118)."""

    SEMESTER = "semester", _("semestriel")
    ANNUAL = "annual", _("annuel")


class GrammaticalGender(models.TextChoices):
    """The gender of the word a programme calls its fiches: « nouvelle fiche action », « nouveau projet »."""

    FEMININE = "f", _("féminin")
    MASCULINE = "m", _("masculin")


class Programme(models.Model):
    """A territorial programme contract (Action Cœur de Ville, Contrat de Ville, PVD) with its own nomenclature.

    What differs between programmes is configuration, read by pages and reports instead of hard-coded words:
    the names of the levels of the nomenclature (axe / sous-axe for ACV; pilier / orientation / objectif
    opérationnel for the Contrat de Ville), what a fiche is called, the reporting rhythm, and (on the schemes
    and envelopes) which funding schemes apply."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    short_name = models.CharField(_("nom court"), max_length=40, blank=True)
    description = models.TextField(_("description"), blank=True)
    territory_label = models.CharField(
        _("territoire, après le nom"),
        max_length=200,
        blank=True,
        help_text=_("Lu après le nom du programme : « de Béthune et Bruay-La-Buissière »."),
    )
    level1_label = models.CharField(_("niveau 1 de la nomenclature"), max_length=40, default=_("axe"))
    level1_label_plural = models.CharField(_("niveau 1, au pluriel"), max_length=40, default=_("axes"))
    level1_label_gender = models.CharField(
        _("genre du niveau 1"), max_length=1, choices=GrammaticalGender.choices, default=GrammaticalGender.MASCULINE
    )
    level2_label = models.CharField(_("niveau 2 de la nomenclature"), max_length=40, default=_("sous-axe"))
    level2_label_plural = models.CharField(_("niveau 2, au pluriel"), max_length=40, default=_("sous-axes"))
    level2_label_gender = models.CharField(
        _("genre du niveau 2"),
        max_length=1,
        choices=GrammaticalGender.choices,
        default=GrammaticalGender.MASCULINE,
        help_text=_("Pour accorder les libellés : « Tous les sous-axes », « Toutes les orientations »."),
    )
    level3_label = models.CharField(
        _("niveau 3 de la nomenclature"),
        max_length=40,
        blank=True,
        help_text=_("Vide quand le programme n'a que deux niveaux (ACV)."),
    )
    level3_label_plural = models.CharField(_("niveau 3, au pluriel"), max_length=40, blank=True)
    fiche_label = models.CharField(_("nom d'une fiche"), max_length=40, default=_("fiche action"))
    fiche_label_plural = models.CharField(_("nom des fiches, au pluriel"), max_length=40, default=_("fiches action"))
    fiche_label_gender = models.CharField(
        _("genre du nom d'une fiche"),
        max_length=1,
        choices=GrammaticalGender.choices,
        default=GrammaticalGender.FEMININE,
        help_text=_("Pour accorder les libellés : « Nouvelle fiche action », « Nouveau projet »."),
    )
    fiche_code_example = models.CharField(
        _("exemples de codes de fiche"),
        max_length=60,
        blank=True,
        help_text=_("Montrés en aide à la saisie d'un code : « AM.3, D.2, FA 41 », « CV19-001 »."),
    )
    reporting_rhythm = models.CharField(
        _("rythme des rapports"), max_length=10, choices=ReportingRhythm.choices, default=ReportingRhythm.SEMESTER
    )
    has_calls_for_projects = models.BooleanField(
        _("programmation par appel à projets annuel"),
        default=False,
        help_text=_("Les projets sont déposés à un appel à projets par an, puis retenus ou refusés."),
    )
    has_national_table = models.BooleanField(
        _("tableau national des actions"),
        default=False,
        help_text=_(
            "Le programme dépose chaque semestre le tableau national de ses actions (ACV : avenant n°2, Article 4)."
        ),
    )
    fiche_kinds = models.JSONField(
        _("catégories de fiches"),
        default=list,
        blank=True,
        help_text=_(
            "Les catégories que le programme donne à ses fiches (ACV 2018 : action mature, étude de diagnostic, "
            "fiche action). Vide : une seule catégorie, la fiche."
        ),
    )
    has_evaluation_grid = models.BooleanField(
        _("grille d'évaluation"),
        default=False,
        help_text=_(
            "Le programme suit ses résultats dans une grille d'évaluation (critères, indicateurs, valeurs par "
            "territoire) : ACV, Article 8 de l'avenant n°2."
        ),
    )
    evaluation_grid_source = models.CharField(
        _("texte qui fixe la grille d'évaluation"),
        max_length=120,
        blank=True,
        help_text=_("Cité à côté de la grille, dans les rapports et les bilans (ACV : « Article 8 »)."),
    )
    fiche_annex_label = models.CharField(
        _("annexe des fiches"),
        max_length=60,
        blank=True,
        help_text=_(
            "L'annexe de la convention qui porte la mise en page des fiches, lue en tête de leur PDF "
            "(ACV : « Annexe 6 »). Vide : le PDF porte le titre de la convention et le nom d'une fiche."
        ),
    )
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["position", "name"]

    def __str__(self):
        return self.name

    @property
    def label(self):
        return self.short_name or self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        unknown = [kind for kind in self.fiche_kinds or [] if kind not in ActionKind.values]
        if unknown:
            raise ValidationError(
                {"fiche_kinds": _("Catégories inconnues : %(kinds)s.") % {"kinds": ", ".join(map(str, unknown))}}
            )

    @property
    def kinds(self):
        """The categories its fiches may have: the plain fiche, which every programme has, and those configured."""
        return {ActionKind.FICHE, *(self.fiche_kinds or [])}

    @property
    def is_annual(self):
        return self.reporting_rhythm == ReportingRhythm.ANNUAL

    @property
    def of_the_period(self):
        """« du semestre », « de l'année »: the period an état d'avancement is for, in sentences."""
        return _("de l'année") if self.is_annual else _("du semestre")

    # The programme's words as headings, column headers and labels start with a capital: named once here rather
    # than `|capfirst` in every template and `.capitalize()` (which lowers the rest) in every header.
    @property
    def level1_title(self):
        return capfirst(self.level1_label)

    @property
    def level1_title_plural(self):
        return capfirst(self.level1_label_plural)

    @property
    def level2_title(self):
        return capfirst(self.level2_label)

    @property
    def level2_title_plural(self):
        return capfirst(self.level2_label_plural)

    @property
    def level3_title(self):
        return capfirst(self.level3_label)

    @property
    def level3_title_plural(self):
        return capfirst(self.level3_label_plural)

    @property
    def fiche_title(self):
        return capfirst(self.fiche_label)

    @property
    def fiche_title_plural(self):
        return capfirst(self.fiche_label_plural)

    @property
    def is_fiche_feminine(self):
        return self.fiche_label_gender == GrammaticalGender.FEMININE

    @property
    def new_fiche_title(self):
        """« Nouvelle fiche action », « Nouveau projet »."""
        adjective = _("Nouvelle") if self.is_fiche_feminine else _("Nouveau")
        return f"{adjective} {self.fiche_label}"

    @property
    def a_fiche(self):
        """« une fiche action », « un projet »."""
        return f"{_('une') if self.is_fiche_feminine else _('un')} {self.fiche_label}"

    @property
    def no_fiche_title(self):
        """« Aucune fiche action », « Aucun projet »."""
        return f"{_('Aucune') if self.is_fiche_feminine else _('Aucun')} {self.fiche_label}"

    @property
    def every_fiche_title(self):
        """« Toutes les fiches action », « Tous les projets »."""
        return f"{_('Toutes') if self.is_fiche_feminine else _('Tous')} les {self.fiche_label_plural}"

    @property
    def every_level1_title(self):
        """« Tous les axes », « Tous les piliers »."""
        feminine = self.level1_label_gender == GrammaticalGender.FEMININE
        return f"{_('Toutes les') if feminine else _('Tous les')} {self.level1_label_plural}"

    @property
    def every_level2_title(self):
        """« Tous les sous-axes », « Toutes les orientations »."""
        feminine = self.level2_label_gender == GrammaticalGender.FEMININE
        return f"{_('Toutes les') if feminine else _('Tous les')} {self.level2_label_plural}"

    @property
    def not_saved_message(self):
        """« La fiche action n'a pas été enregistrée. », « Le projet n'a pas été enregistré. »"""
        ending = "e" if self.is_fiche_feminine else ""
        return f"{capfirst(self.the_fiche)} n'a pas été enregistré{ending}."

    def fiche_agreed(self, participle):
        """A past participle written for « fiche » (feminine: « introduite », « éditée ») agreed with the
        programme's word: « fiche action introduite », « projet introduit »."""
        participle = str(participle)
        if self.is_fiche_feminine or not participle.endswith("e"):
            return participle
        return participle[:-1]

    @property
    def fiche_edited_by(self):
        """The line under a fiche's PDF: « Fiche action éditée par ACV Suivi », « Projet édité par ACV Suivi »
        (the product's name, whatever the programme)."""
        return f"{self.fiche_title} {self.fiche_agreed(_('éditée'))} par ACV Suivi"

    @property
    def the_fiche(self):
        """« la fiche action », « le projet », « l'opération »: the fiche with its article, for sentences."""
        if self.fiche_label[:1].lower() in "aeiouyéèêàâîôûh":
            return f"l'{self.fiche_label}"
        return f"{'la' if self.is_fiche_feminine else 'le'} {self.fiche_label}"

    @property
    def of_the_fiche(self):
        """« de la fiche action », « du projet », « de l'opération »: « de » + « le » contracts to « du »."""
        the = self.the_fiche
        return f"du {the[3:]}" if the.startswith("le ") else f"de {the}"


class AxisManager(models.Manager.from_queryset(ReferenceQuerySet)):
    """Axes come with their programme (one join to a small table): their short label is in its words (« Pilier
    2 »), wherever they are read from — a fiche's axes prefetched for a list included — without a query per axe."""

    def get_queryset(self):
        return super().get_queryset().select_related("programme")


class Axis(models.Model):
    """An axe of a programme ("1" to "5", "T" for transversal); its title as of the latest wording."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("programme",)

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="axes", verbose_name=_("programme"))
    number = models.CharField(_("numéro"), max_length=5)
    title = models.CharField(_("intitulé en vigueur"), max_length=300)
    label = models.CharField(
        _("libellé court"),
        max_length=60,
        blank=True,
        help_text=_(
            "Comme le document le nomme quand un numéro ne le nomme pas : « Axe transversal », « Pilotage ». "
            "Vide : le nom du niveau et le numéro (« Axe 3 », « Pilier 2 »)."
        ),
    )
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    objects = AxisManager()

    class Meta:
        verbose_name = _("axe")
        verbose_name_plural = _("axes")
        ordering = ["programme", "position", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "number"],
                name="axis_number_unique",
                violation_error_message=_("Ce numéro d'axe existe déjà dans ce programme."),
            )
        ]

    def __str__(self):
        short = self.short_label
        # « Axes transversaux » is both the short label and the title of the Contrat de Ville's: said once.
        if self.title.lower().startswith(short.lower()):
            return self.title
        return f"{short} – {self.title}"

    @property
    def short_label(self):
        """« Axe 3 », « Pilier 2 », or the label the document gives (« Axe transversal », « Pilotage »)."""
        return axis_short_label(self.label, self.number, self._state.fields_cache.get("programme"))


def axis_short_label(label, number, programme=None):
    """The short name of a level-1 entry from its stored label, else the programme's word and its number; from
    plain values too, for the roll-ups that read `values()` rows. Without the programme at hand (so that no
    query is run for a label) the model's default word is used."""
    if label:
        return label
    word = (
        programme.level1_title if programme is not None else capfirst(Programme._meta.get_field("level1_label").default)
    )
    return f"{word} {number}"


class AxisWording(models.Model):
    """An axe's title as one document words it: the 2018 convention and the 2023 avenant differ."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("axis__programme",)

    axis = models.ForeignKey(Axis, on_delete=models.CASCADE, related_name="wordings", verbose_name=_("axe"))
    version = models.CharField(_("version"), max_length=20, help_text=_("Par exemple 2018 ou 2023."))
    title = models.CharField(_("intitulé"), max_length=300)
    source = models.CharField(_("source"), max_length=200, blank=True)
    note = models.TextField(_("remarque"), blank=True)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("intitulé d'axe")
        verbose_name_plural = _("intitulés d'axe")
        ordering = ["axis", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["axis", "version"],
                name="axis_wording_unique",
                violation_error_message=_("Cet axe a déjà un intitulé pour cette version."),
            )
        ]

    def __str__(self):
        return f"{self.version} : {self.title}"


class SubAxis(models.Model):
    """A sous-axe such as 3.4 "Mobilités décarbonées"."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("axis__programme",)

    axis = models.ForeignKey(Axis, on_delete=models.PROTECT, related_name="sub_axes", verbose_name=_("axe"))
    code = models.CharField(_("code"), max_length=10)
    title = models.CharField(_("intitulé"), max_length=300)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("sous-axe")
        verbose_name_plural = _("sous-axes")
        ordering = ["axis__position", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["axis", "code"],
                name="sub_axis_code_unique",
                violation_error_message=_("Ce code de sous-axe existe déjà pour cet axe."),
            )
        ]

    def __str__(self):
        return f"{self.code} – {self.title}"


class Objective(models.Model):
    """The third level of a nomenclature: an objectif opérationnel of the Contrat de Ville, under one of its
    orientations (a SubAxis) under one of its piliers (an Axis). ACV has no third level."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("sub_axis__axis__programme",)

    sub_axis = models.ForeignKey(
        SubAxis, on_delete=models.PROTECT, related_name="objectives", verbose_name=_("niveau 2")
    )
    code = models.CharField(_("code"), max_length=12)
    title = models.CharField(_("intitulé"), max_length=400)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    note = models.TextField(_("remarque"), blank=True)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("objectif opérationnel")
        verbose_name_plural = _("objectifs opérationnels")
        ordering = ["sub_axis__axis__position", "sub_axis__code", "position", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["sub_axis", "code"],
                name="objective_code_unique",
                violation_error_message=_("Ce code d'objectif existe déjà pour ce niveau."),
            )
        ]

    def __str__(self):
        return f"{self.code} – {self.title}"


class CallForProjects(models.Model):
    """A programme's yearly call for projects (the Contrat de Ville's appel à projets), with its counts as the
    document writes them: dossiers submitted, retained, refused. The projects (fiches) that answered it point to
    it with their dossier decision; the counts computed from them are set beside the written ones."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("programme",)

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="calls", verbose_name=_("programme")
    )
    convention = models.ForeignKey(
        "Convention",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="calls",
        verbose_name=_("convention"),
    )
    year = models.PositiveSmallIntegerField(_("année"), validators=YEAR_BOUNDS)
    title = models.CharField(_("intitulé"), max_length=300)
    opens_on = models.DateField(_("ouverture"), null=True, blank=True, validators=DATE_BOUNDS)
    closes_on = models.DateField(_("clôture"), null=True, blank=True, validators=DATE_BOUNDS)
    submitted_count = models.PositiveIntegerField(_("dossiers déposés (selon le document)"), null=True, blank=True)
    retained_count = models.PositiveIntegerField(_("dossiers retenus (selon le document)"), null=True, blank=True)
    refused_count = models.PositiveIntegerField(_("dossiers refusés (selon le document)"), null=True, blank=True)
    counts_text = models.TextField(_("tels qu'écrits"), blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)
    note = models.TextField(_("remarque"), blank=True)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("appel à projets")
        verbose_name_plural = _("appels à projets")
        ordering = ["programme", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "year"],
                name="call_for_projects_unique",
                violation_error_message=_("Ce programme a déjà un appel à projets pour cette année."),
            ),
            models.CheckConstraint(
                condition=Q(closes_on__isnull=True) | Q(opens_on__isnull=True) | Q(closes_on__gte=models.F("opens_on")),
                name="call_for_projects_closes_after_opening",
                violation_error_message=_("La clôture ne peut pas précéder l'ouverture."),
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        from django.core.exceptions import ValidationError

        counts = (self.submitted_count, self.retained_count, self.refused_count)
        if None not in counts and self.retained_count + self.refused_count > self.submitted_count:
            raise ValidationError(
                {"retained_count": _("Retenus et refusés ensemble ne peuvent dépasser les dossiers déposés.")}
            )


class FigureGroup(models.TextChoices):
    """Which statement of a programme's yearly report a figure belongs to."""

    PROJECTS_BY_AXIS = "projects_by_axis", _("projets retenus par pilier")
    FUNDER_SHARE = "funder_share", _("part de chaque financeur")
    THEME_CONTRIBUTION = "theme_contribution", _("contribution par thématique")
    THEME_TABLE = "theme_table", _("projets et subventions par thématique")
    TOTAL = "total", _("total de la programmation")


class ProgrammeFigure(models.Model):
    """A figure of a programme's yearly report exactly as the document states it (« Communes 24,4% », « 87
    projets » on the cohésion sociale pillar): kept with its words and where it is written, so that the figures
    the application computes from its projects are shown beside the document's own, never in their place."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("programme",)

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="figures", verbose_name=_("programme")
    )
    call = models.ForeignKey(
        CallForProjects,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="figures",
        verbose_name=_("appel à projets"),
    )
    year = models.PositiveSmallIntegerField(_("année"), validators=YEAR_BOUNDS)
    group = models.CharField(_("ce qui est compté"), max_length=20, choices=FigureGroup.choices)
    key = models.SlugField(_("identifiant"), max_length=60)
    label = models.CharField(_("libellé"), max_length=300)
    axis = models.ForeignKey(
        Axis, on_delete=models.PROTECT, null=True, blank=True, related_name="figures", verbose_name=_("niveau 1")
    )
    funder_group = models.CharField(
        _("groupe de financeurs"), max_length=40, blank=True, help_text=_("Par exemple « Communes », « Etat - CGET ».")
    )
    value = models.DecimalField(_("valeur"), max_digits=14, decimal_places=2, null=True, blank=True)
    unit = models.CharField(_("unité"), max_length=20, help_text=_("€, %, projets, porteurs."))
    stated_text = models.TextField(_("tel qu'écrit"))
    source = models.CharField(_("où le document le dit"), max_length=300)
    note = models.TextField(_("remarque"), blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("chiffre d'un rapport annuel")
        verbose_name_plural = _("chiffres des rapports annuels")
        ordering = ["programme", "year", "group", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "year", "key"],
                name="programme_figure_unique",
                violation_error_message=_("Ce chiffre est déjà enregistré pour ce programme et cette année."),
            )
        ]

    def __str__(self):
        return f"{self.year} – {self.label}"


class DossierDecision(models.TextChoices):
    """Where a project's dossier stands in its call for projects."""

    SUBMITTED = "submitted", _("déposé")
    RETAINED = "retained", _("retenu")
    REFUSED = "refused", _("refusé")


class OrganisationKind(models.TextChoices):
    COMMUNE = "commune", _("commune")
    EPCI = "epci", _("EPCI")
    ETAT = "etat", _("État et ses services")
    AGENCE = "agence", _("agence / opérateur")
    REGION = "region", _("région")
    DEPARTEMENT = "departement", _("département")
    CHAMBRE = "chambre", _("chambre consulaire")
    BAILLEUR = "bailleur", _("bailleur")
    ENTREPRISE = "entreprise", _("entreprise")
    ASSOCIATION = "association", _("association")
    CONSEIL_CITOYEN = "conseil_citoyen", _("conseil citoyen")
    AUTRE = "autre", _("autre")


class Organisation(models.Model):
    """Any body the programme deals with: collectivité, partner, funder, maître d'ouvrage."""

    key = models.SlugField(_("identifiant"), max_length=60, unique=True)
    name = models.CharField(_("nom"), max_length=250, unique=True)
    short_name = models.CharField(_("sigle"), max_length=80, blank=True)
    kind = models.CharField(_("type"), max_length=20, choices=OrganisationKind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("organisation de rattachement"),
    )
    note = models.TextField(_("remarque"), blank=True)
    # Stable identifiers, for the national table and other tools: the documents give none, so they are entered
    # by the coordination (blank until then).
    insee_code = models.CharField(
        _("code INSEE"),
        max_length=5,
        blank=True,
        validators=[RegexValidator(r"^(\d{5}|2[AB]\d{3})$", _("Un code INSEE de commune a 5 caractères (62119)."))],
        help_text=_("Code officiel géographique de la commune (62119 pour Béthune)."),
    )
    siret = models.CharField(
        _("SIRET"),
        max_length=14,
        blank=True,
        validators=[RegexValidator(r"^\d{14}$", _("Un SIRET a 14 chiffres."))],
    )
    acv_identifier = models.CharField(
        _("identifiant ACV"),
        max_length=40,
        blank=True,
        help_text=_("L'identifiant de la ville dans le programme national Action Cœur de Ville."),
    )

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self):
        return self.short_name or self.name


class OrganisationAlias(models.Model):
    """Another name of an organisation as a document writes it (the EPF was renamed between documents)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="aliases", verbose_name=_("organisation")
    )
    name = models.CharField(_("nom"), max_length=250)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("autre nom")
        verbose_name_plural = _("autres noms")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"],
                name="organisation_alias_unique",
                violation_error_message=_("Ce nom est déjà enregistré pour cette organisation."),
            )
        ]

    def __str__(self):
        return self.name


class Convention(models.Model):
    """A signed convention-cadre of a programme for a territory."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("programme",)

    key = models.SlugField(_("identifiant"), max_length=60, unique=True)
    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="conventions", verbose_name=_("programme")
    )
    title = models.CharField(_("intitulé"), max_length=400)
    signed_on = models.DateField(_("signée le"), null=True, blank=True, validators=DATE_BOUNDS)
    starts_on = models.DateField(_("début"), null=True, blank=True, validators=DATE_BOUNDS)
    ends_on = models.DateField(_("fin"), null=True, blank=True, validators=DATE_BOUNDS)
    phases = models.TextField(_("phases"), blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)
    note = models.TextField(_("remarque"), blank=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("convention")
        verbose_name_plural = _("conventions")
        ordering = ["signed_on", "title"]
        indexes = [
            # The fiches' plan order starts with their convention's: walking conventions in this order, PostgreSQL
            # sorts only the fiches of the first (or, backwards, the last) conventions for a page of the list,
            # instead of sorting every fiche (actions.Action.Meta.ordering, acv.pagination.IdFirstPaginator).
            models.Index(fields=["signed_on", "title"], name="convention_plan_order"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(starts_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="convention_end_after_start",
                violation_error_message=_("La fin ne peut pas précéder le début."),
            )
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("actions:convention_detail", args=[self.pk])

    @property
    def status(self):
        # A convention is in the application once signed: the documents' workflow is the avenants'.
        return DocumentStatus.SIGNED

    @property
    def is_signed(self):
        return True


class DocumentStatus(models.TextChoices):
    DRAFT = "draft", _("en préparation")
    SIGNED = "signed", _("signé")


class Amendment(models.Model):
    """An avenant to a convention: the period it covers and the fiches it introduced or changed.

    The next avenant is prepared in the application as a draft (only the coordination changes it); marking it
    signed, with its date and signatories, freezes the fiches it carries (actions.services.amendment_sign).
    A signed avenant whose date the document leaves blank (« le XXX ») stays signed with no date.
    """

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("convention__programme",)

    key = models.SlugField(_("identifiant"), max_length=60, unique=True)
    convention = models.ForeignKey(
        Convention, on_delete=models.PROTECT, related_name="amendments", verbose_name=_("convention")
    )
    number = models.PositiveSmallIntegerField(_("numéro"))
    title = models.CharField(_("intitulé"), max_length=400)
    # A new avenant is a draft until its signature is recorded (actions.services.amendment_sign).
    status = models.CharField(
        _("état"), max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.DRAFT, editable=False
    )
    signed_on = models.DateField(_("signé le"), null=True, blank=True, validators=DATE_BOUNDS)
    covers_from = models.DateField(_("période couverte : début"), null=True, blank=True, validators=DATE_BOUNDS)
    covers_to = models.DateField(_("période couverte : fin"), null=True, blank=True, validators=DATE_BOUNDS)
    # Avenant n°2, Article 3: the comité de projet meets « au minimum deux fois par an » over its period.
    project_committees_per_year = models.PositiveSmallIntegerField(
        _("comités de projet par an, au minimum"), null=True, blank=True
    )
    source = models.CharField(_("source"), max_length=300, blank=True)
    note = models.TextField(_("remarque"), blank=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("avenant")
        verbose_name_plural = _("avenants")
        ordering = ["convention", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["convention", "number"],
                name="amendment_number_unique",
                violation_error_message=_("Cette convention a déjà un avenant de ce numéro."),
            ),
            models.CheckConstraint(
                condition=Q(covers_to__isnull=True)
                | Q(covers_from__isnull=True)
                | Q(covers_to__gte=models.F("covers_from")),
                name="amendment_end_after_start",
                violation_error_message=_("La fin de la période ne peut pas précéder son début."),
            ),
        ]

    def __str__(self):
        return _("Avenant n°%(number)s") % {"number": self.number}

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("actions:amendment_detail", args=[self.pk])

    @property
    def is_signed(self):
        return self.status == DocumentStatus.SIGNED

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.status == DocumentStatus.DRAFT and self.signed_on:
            raise ValidationError({"signed_on": _("Un avenant en préparation n'a pas encore de date de signature.")})


class SignatoryRole(models.TextChoices):
    BENEFICIARY = "beneficiary", _("collectivité bénéficiaire")
    FUNDER = "funder", _("partenaire financeur")
    LOCAL_PARTNER = "local_partner", _("partenaire local")


class Signatory(models.Model):
    """An organisation that signed a convention or an avenant, with its representative as signed."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("convention__programme",)

    convention = models.ForeignKey(
        Convention, on_delete=models.CASCADE, related_name="signatories", verbose_name=_("convention")
    )
    amendment = models.ForeignKey(
        Amendment,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="signatories",
        verbose_name=_("avenant"),
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="signatures", verbose_name=_("organisation")
    )
    representative = models.CharField(_("représentant"), max_length=200, blank=True)
    representative_title = models.CharField(_("qualité"), max_length=250, blank=True)
    role = models.CharField(_("rôle"), max_length=20, choices=SignatoryRole.choices)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("signataire")
        verbose_name_plural = _("signataires")
        ordering = ["convention", "amendment", "position"]
        constraints = [
            # Two partial indexes rather than nulls_distinct, which SQLite does not enforce.
            models.UniqueConstraint(
                fields=["convention", "organisation"],
                condition=Q(amendment__isnull=True),
                name="signatory_unique_convention",
                violation_error_message=_("Cette organisation est déjà signataire de ce document."),
            ),
            models.UniqueConstraint(
                fields=["amendment", "organisation"],
                condition=Q(amendment__isnull=False),
                name="signatory_unique_amendment",
                violation_error_message=_("Cette organisation est déjà signataire de ce document."),
            ),
        ]

    def __str__(self):
        return f"{self.organisation} ({self.get_role_display()})"


class DocumentArticle(models.Model):
    """An article (or annex) of a convention or an avenant that matters to steer the programme, summarised in
    French as the document says it, with its reference in the document."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("convention__programme",)

    convention = models.ForeignKey(
        Convention, on_delete=models.CASCADE, related_name="articles", verbose_name=_("convention")
    )
    amendment = models.ForeignKey(
        Amendment, on_delete=models.CASCADE, null=True, blank=True, related_name="articles", verbose_name=_("avenant")
    )
    reference = models.CharField(_("référence"), max_length=80, help_text=_("Par exemple « Article 5 »."))
    title = models.CharField(_("intitulé"), max_length=300)
    summary = models.TextField(_("ce qu'il dit"))
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    objects = DocumentPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("article d'un document")
        verbose_name_plural = _("articles des documents")
        ordering = ["convention", "amendment", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["convention", "reference"],
                condition=Q(amendment__isnull=True),
                name="document_article_unique_convention",
                violation_error_message=_("Ce document a déjà un article de cette référence."),
            ),
            models.UniqueConstraint(
                fields=["amendment", "reference"],
                condition=Q(amendment__isnull=False),
                name="document_article_unique_amendment",
                violation_error_message=_("Ce document a déjà un article de cette référence."),
            ),
        ]

    def __str__(self):
        return f"{self.reference} – {self.title}"


class BalanceMeasure(models.TextChoices):
    """What a figure of a balance counts, so that the application can compute the same figure from its fiches."""

    DELIVERED = "delivered", _("actions réalisées")
    DELIVERED_FUNDED = "delivered_funded", _("actions réalisées ayant bénéficié d'un financement")
    FUNDED_AMOUNT = "funded_amount", _("montant des financements de ces actions")
    ABANDONED = "abandoned", _("actions abandonnées ou réorientées")
    TO_START = "to_start", _("actions restant à engager")


# Measures that are amounts in euros; the others count fiches.
AMOUNT_MEASURES = (BalanceMeasure.FUNDED_AMOUNT,)


class BalanceItem(models.Model):
    """A figure of the balance of a past period as a document states it (avenant n°2, Annexe 1: the bilan of
    2018-2022), with the sentence that states it. The application sets its own figure for the same fiches
    next to it (actions.documents), and records the differences as quality notes."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("convention__programme",)

    convention = models.ForeignKey(
        Convention, on_delete=models.CASCADE, related_name="balance_items", verbose_name=_("convention")
    )
    amendment = models.ForeignKey(
        Amendment,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="balance_items",
        verbose_name=_("avenant"),
    )
    territory = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="balance_items",
        verbose_name=_("territoire"),
        help_text=_("La commune dont le bilan parle."),
    )
    measure = models.CharField(_("ce qui est compté"), max_length=20, choices=BalanceMeasure.choices)
    stated_value = models.DecimalField(_("valeur selon le document"), max_digits=14, decimal_places=2)
    stated_text = models.TextField(_("tel qu'écrit"))
    source = models.CharField(_("où le document le dit"), max_length=300)
    note = models.TextField(_("remarque"), blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    objects = DocumentPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("chiffre d'un bilan")
        verbose_name_plural = _("chiffres des bilans")
        ordering = ["convention", "amendment", "territory__name", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["amendment", "territory", "measure"],
                name="balance_item_unique",
                violation_error_message=_("Ce bilan donne déjà ce chiffre pour ce territoire."),
            ),
            models.CheckConstraint(
                condition=Q(stated_value__gte=0),
                name="balance_item_value_positive",
                violation_error_message=_("Le chiffre d'un bilan est positif ou nul."),
            ),
        ]

    def __str__(self):
        return f"{self.territory} – {self.get_measure_display()} : {self.stated_value.normalize():f}"

    @property
    def is_amount(self):
        return self.measure in AMOUNT_MEASURES


class Sector(models.Model):
    """A secteur d'intervention or périmètre ORT of a commune."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("amendment__convention__programme?",)

    key = models.SlugField(_("identifiant"), max_length=60, unique=True)
    commune = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="sectors", verbose_name=_("commune")
    )
    name = models.CharField(_("nom"), max_length=250)
    kind = models.CharField(_("nature"), max_length=100, blank=True)
    amendment = models.ForeignKey(
        Amendment, on_delete=models.SET_NULL, null=True, blank=True, related_name="sectors", verbose_name=_("avenant")
    )
    description = models.TextField(_("description"), blank=True)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("secteur d'intervention")
        verbose_name_plural = _("secteurs d'intervention")
        ordering = ["commune__name", "name"]

    def __str__(self):
        return f"{self.commune} – {self.name}"


class PriorityNeighbourhood(models.Model):
    """A quartier prioritaire de la politique de la ville (QPV), as the State's decree draws it: a perimeter of
    its own, which may straddle communes, so it belongs to one commune or more. Any programme of the territory
    (ACV, Contrat de Ville…) may measure it; which programme reads which QPV is the programme's affair."""

    key = models.SlugField(_("identifiant"), max_length=60, unique=True)
    name = models.CharField(_("nom"), max_length=250)
    code = models.CharField(
        _("code officiel"),
        max_length=20,
        blank=True,
        help_text=_("Le code du quartier dans la géographie prioritaire (QP…), quand il est connu."),
    )
    communes = models.ManyToManyField(
        Organisation,
        related_name="priority_neighbourhoods",
        limit_choices_to={"kind": "commune"},
        verbose_name=_("communes"),
        help_text=_("La commune du quartier, ou chacune de ses communes quand il s'étend sur plusieurs."),
    )
    source = models.CharField(_("source"), max_length=300, blank=True)
    note = models.TextField(_("remarque"), blank=True)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("quartier prioritaire (QPV)")
        verbose_name_plural = _("quartiers prioritaires (QPV)")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"],
                condition=~Q(code=""),
                name="priority_neighbourhood_code_unique",
                violation_error_message=_("Un autre quartier prioritaire porte déjà ce code."),
            )
        ]

    def __str__(self):
        return self.name

    @property
    def label(self):
        """« QPV Mont-Liébaut »: says what kind of place it is where communes, sectors and quartiers mix."""
        return f"QPV {self.name}"

    def clean(self):
        self.code = "".join(self.code.split()).upper()


class CommitteeKind(models.TextChoices):
    PROJECT = "project", _("comité de projet")
    TECHNICAL = "technical", _("comité technique")
    REGIONAL = "regional", _("comité régional d'engagement / des financeurs")


class CommitteeMeeting(models.Model):
    """A meeting of the comité de projet (at least twice a year) or of another committee."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("convention__programme",)

    convention = models.ForeignKey(
        Convention, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("convention")
    )
    kind = models.CharField(_("instance"), max_length=20, choices=CommitteeKind.choices, default=CommitteeKind.PROJECT)
    held_on = models.DateField(_("date"), validators=DATE_BOUNDS)
    title = models.CharField(_("intitulé"), max_length=250, blank=True)
    attending_organisations = models.ManyToManyField(
        Organisation, blank=True, related_name="meetings_attended", verbose_name=_("organisations présentes")
    )
    attendees = models.TextField(_("participants"), blank=True, help_text=_("Une personne par ligne."))
    agenda = models.TextField(_("ordre du jour"), blank=True)
    decisions = models.TextField(_("décisions"), blank=True)
    minutes = models.TextField(_("compte rendu"), blank=True)

    objects = CommitteeMeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("réunion de comité")
        verbose_name_plural = _("réunions de comité")
        ordering = ["-held_on"]

    def __str__(self):
        return f"{self.get_kind_display()} du {self.held_on:%d/%m/%Y}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("conventions:meeting_detail", args=[self.pk])

    def clean(self):
        from django.core.exceptions import ValidationError

        # A comité steers a signed convention: a date before the signature is a typing error.
        signed_on = self.convention.signed_on if self.convention_id else None
        if self.held_on and signed_on and self.held_on < signed_on:
            raise ValidationError(
                {
                    "held_on": _("La réunion ne peut pas précéder la signature de la convention (%(date)s).")
                    % {"date": signed_on.strftime("%d/%m/%Y")}
                }
            )


class PresentedSemester(models.Model):
    """A semester whose report was presented to the comité: from then on, the semester's états d'avancement are
    frozen (a correction needs the coordination and a reason, see actions.services).

    Kept here, below every app, so that the app that presents the report (evaluation) records it and the app
    that guards the updates (actions) reads it, neither importing the other upwards."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("convention__programme",)

    convention = models.ForeignKey(
        Convention, on_delete=models.CASCADE, related_name="presented_semesters", verbose_name=_("convention")
    )
    year = models.PositiveSmallIntegerField(_("année"), validators=YEAR_BOUNDS)
    semester = models.PositiveSmallIntegerField(_("semestre"), choices=[(1, _("S1")), (2, _("S2"))])
    meeting = models.ForeignKey(
        CommitteeMeeting,
        on_delete=models.PROTECT,
        related_name="presented_semesters",
        verbose_name=_("présenté au comité"),
    )
    presented_at = models.DateTimeField(_("présenté le"), auto_now_add=True)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("semestre présenté au comité")
        verbose_name_plural = _("semestres présentés au comité")
        ordering = ["convention", "-year", "-semester"]
        constraints = [
            models.UniqueConstraint(
                fields=["convention", "year", "semester"],
                name="presented_semester_unique",
                violation_error_message=_("Ce semestre a déjà été présenté au comité."),
            ),
            models.CheckConstraint(
                condition=Q(semester__in=[1, 2]),
                name="presented_semester_valid",
                violation_error_message=_("Le semestre vaut 1 ou 2."),
            ),
        ]

    def __str__(self):
        return f"S{self.semester} {self.year} – {self.meeting}"


class UserProfile(models.Model):
    """What a user is in one programme: a role and, for référents and partners, their organisation. Roles are per
    programme: a partner of ACV is not, by that, a partner of the Contrat de Ville (conventions.roles)."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("programme",)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profiles", verbose_name=_("utilisateur")
    )
    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="profiles", verbose_name=_("programme")
    )
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("organisation"),
    )
    last_portal_visit = models.DateTimeField(_("dernière visite de « Mes engagements »"), null=True, blank=True)

    objects = UserProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("profil")
        verbose_name_plural = _("profils")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role__in=["referent", "partner"]) | Q(organisation__isnull=False),
                name="profile_organisation_required",
                violation_error_message=_("Un référent ou un partenaire est rattaché à une organisation."),
            ),
            models.UniqueConstraint(
                fields=["user", "programme"],
                name="profile_one_per_programme",
                violation_error_message=_("Cet utilisateur a déjà un rôle dans ce programme."),
            ),
        ]

    def __str__(self):
        return f"{self.user} – {self.get_role_display()} ({self.programme.label})"
