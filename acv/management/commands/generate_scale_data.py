"""A national data set for measuring the engine at the scale it must hold: 250 territories × 100 fiches × 4
funding lines by default (25 000 fiches, 100 000 lines), built with the project's models in bulk.

Beside the reference programme, in the same programme: one commune and one convention-cadre per territory,
their fiches (plausible French titles, statuses, fuzzy dates, costs of every kind on HT, TTC or no basis), and
their funding lines from the usual funders (État, Région, Banque des Territoires, ANAH, Action Logement, EPF,
the commune itself) in every state, with yearly splits, payments, the lines' events and semester progress.
Everything it creates is recognisable by the « nat- » prefix of the keys, so that --reset removes exactly that.

The same seed gives the same rows (titles, amounts, statuses, dates): two runs can be compared. Fiches go
through their model's clean() (normalised code, search text, fuzzy-date bounds, cost consistency) before the
bulk insert, so every derived column is filled as a service would fill it; what bulk inserts skip is the
history (django-simple-history) rows: the national fiches start with an empty timeline, as data loaded
before history was kept would.
"""

import datetime
import random
import time
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from actions.models import Action, ActionKind, ActionStatus, ProgressUpdate, ProjectType
from acv.values import Basis, CostKind, Precision
from conventions.models import (
    Axis,
    Convention,
    Organisation,
    OrganisationKind,
    Programme,
    Signatory,
    SignatoryRole,
)
from financing.models import (
    Envelope,
    FundingEvent,
    FundingLine,
    FundingLineYear,
    FundingScheme,
    FundingStatus,
    Nature,
    Payment,
)

PREFIX = "nat-"
DEFAULT_SEED = 20260
BATCH = 2000
LAST_YEAR = 2026

# The funders of the national set, reused when the reference data already holds them (same keys): key, name,
# short name, kind, and the schemes their lines draw on (code, name, nature).
FUNDERS = [
    ("etat", "État", "État", OrganisationKind.ETAT, [("DSIL", "Dotation de soutien à l'investissement local")]),
    (
        "region",
        "Région Hauts-de-France",
        "Région",
        OrganisationKind.REGION,
        [("REGION_ACV", "Région – Action Cœur de Ville")],
    ),
    (
        "bdt",
        "Caisse des Dépôts et Consignations – Banque des Territoires",
        "Banque des Territoires",
        OrganisationKind.AUTRE,
        [("BDT_INGENIERIE", "Banque des Territoires – ingénierie"), ("BDT_PRET", "Banque des Territoires – prêt")],
    ),
    (
        "anah",
        "Agence Nationale de l'Habitat",
        "ANAH",
        OrganisationKind.AGENCE,
        [("ANAH_OPAH", "ANAH – OPAH-RU")],
    ),
    (
        "action_logement",
        "Action Logement",
        "Action Logement",
        OrganisationKind.AUTRE,
        [("PEEC", "Participation des employeurs à l'effort de construction")],
    ),
    (
        "epf",
        "Etablissement Public Foncier Hauts-de-France",
        "EPF",
        OrganisationKind.AGENCE,
        [("EPF_PPI", "EPF – programme pluriannuel d'intervention")],
    ),
]
SCHEME_NATURES = {
    "DSIL": Nature.SUBVENTION,
    "REGION_ACV": Nature.SUBVENTION,
    "BDT_INGENIERIE": Nature.INGENIERIE,
    "BDT_PRET": Nature.PRET,
    "ANAH_OPAH": Nature.SUBVENTION,
    "PEEC": Nature.PRET,
    "EPF_PPI": Nature.AUTRE,
}

TOWN_ROOTS = [
    "Beaumont",
    "Montfort",
    "Villeneuve",
    "Châteauneuf",
    "Fontaine",
    "Rochefort",
    "Bellevue",
    "Clermont",
    "Mirebeau",
    "Valmont",
    "Saint-Amand",
    "Saint-Pierre",
    "Sainte-Marie",
    "Neufchâtel",
    "Pontarlier",
    "Roquefort",
    "Chaumont",
    "Montreuil",
    "Belmont",
    "Grandpré",
    "Lamotte",
    "Bourg-Neuf",
    "Champlieu",
    "Hautmont",
    "Marville",
    "Vaudreuil",
    "Saint-Julien",
    "Sainte-Croix",
    "Montbrison",
    "Castelnau",
    "Villefranche",
    "Roche-Blanche",
    "Monthermé",
    "Beaulieu",
    "Bonneval",
    "Mortagne",
    "Fougerolles",
    "Saint-Laurent",
    "Charmes",
    "Val-Fleuri",
]
TOWN_SUFFIXES = [
    "",
    "-sur-Loire",
    "-sur-Marne",
    "-en-Vexin",
    "-les-Bains",
    "-la-Forêt",
    "-sur-Mer",
    "-le-Château",
    "-sur-Oise",
    "-en-Auxois",
]
WORKS = [
    "Requalification de",
    "Réhabilitation de",
    "Aménagement de",
    "Rénovation de",
    "Restructuration de",
    "Mise en valeur de",
    "Reconversion de",
    "Végétalisation de",
    "Étude de programmation pour",
    "Sécurisation de",
]
PLACES = [
    "la place du Marché",
    "l'îlot Gambetta",
    "la gare et de son parvis",
    "le quartier de la gare",
    "la rue de la République",
    "l'ancienne friche industrielle",
    "la halle couverte",
    "l'hôtel de ville",
    "les berges du canal",
    "l'ancien cinéma",
    "la médiathèque",
    "l'îlot de la Poste",
    "la place de l'Église",
    "le pôle d'échanges de la gare",
    "la rue commerçante du centre",
    "l'ancienne caserne",
    "le square Jean-Jaurès",
    "les logements vacants du centre ancien",
    "le marché couvert",
    "l'entrée de ville nord",
]
AIMS = [
    "redonner vie au centre-ville",
    "ramener des commerces en rez-de-chaussée",
    "remettre sur le marché des logements vacants",
    "apaiser la circulation et donner la place aux piétons",
    "offrir des équipements culturels au cœur de la ville",
    "relier la gare au centre commerçant",
]

ACTION_STATUSES = [
    (ActionStatus.PLANNED, 25),
    (ActionStatus.IN_PROGRESS, 40),
    (ActionStatus.DELIVERED, 20),
    (ActionStatus.SUSPENDED, 5),
    (ActionStatus.ABANDONED, 3),
    (ActionStatus.UNKNOWN, 7),
]
KINDS = [(ActionKind.FICHE, 70), (ActionKind.MATURE, 20), (ActionKind.DIAGNOSTIC, 10)]
COST_KINDS = [(CostKind.EXACT, 60), (CostKind.ESTIMATED, 15), (CostKind.RANGE, 10), (CostKind.UNKNOWN, 15)]
BASES = [(Basis.HT, 55), (Basis.TTC, 35), (Basis.UNSPECIFIED, 10)]
LINE_STATUSES = [
    (FundingStatus.PLANNED, 30),
    (FundingStatus.REQUESTED, 20),
    (FundingStatus.GRANTED, 25),
    (FundingStatus.REFUSED, 5),
    (FundingStatus.PAID, 20),
]
PRECISIONS = [Precision.YEAR, Precision.SEMESTER, Precision.QUARTER, Precision.MONTH, Precision.DAY]


def pick(rng, weighted):
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights)[0]


def fuzzy_date(rng, year):
    """A date as the documents give them: a year, a semester, a quarter, a month or a day."""
    precision = rng.choice(PRECISIONS)
    if precision == Precision.YEAR:
        return datetime.date(year, 1, 1), precision
    if precision == Precision.SEMESTER:
        return datetime.date(year, rng.choice((1, 7)), 1), precision
    if precision == Precision.QUARTER:
        return datetime.date(year, rng.choice((1, 4, 7, 10)), 1), precision
    if precision == Precision.MONTH:
        return datetime.date(year, rng.randint(1, 12), 1), precision
    return datetime.date(year, rng.randint(1, 12), rng.randint(1, 28)), precision


def euros(value):
    return Decimal(value).quantize(Decimal("0.01"))


def town_names(rng, count, taken):
    names = [root + suffix for suffix in TOWN_SUFFIXES for root in TOWN_ROOTS]
    rng.shuffle(names)
    names = [name for name in names if name not in taken]
    extra = 2
    while len(names) < count:
        names += [f"{name} {extra}" for name in names[: count - len(names)] if f"{name} {extra}" not in taken]
        extra += 1
    return names[:count]


class Command(BaseCommand):
    help = (
        "Construit un jeu de données national (par défaut 250 territoires × 100 fiches × 4 lignes de financement) "
        "pour mesurer l'application à l'échelle. Déterministe pour une graine donnée ; --reset le remplace."
    )

    def add_arguments(self, parser):
        parser.add_argument("--territories", type=int, default=250)
        parser.add_argument("--fiches-per-territory", type=int, default=100)
        parser.add_argument("--lines-per-fiche", type=int, default=4)
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument("--reset", action="store_true", help="Supprime d'abord le jeu national existant.")

    def handle(self, *args, territories, fiches_per_territory, lines_per_fiche, seed, reset, **options):
        if min(territories, fiches_per_territory) < 1 or lines_per_fiche < 0:
            raise CommandError("Il faut au moins un territoire et une fiche par territoire.")
        started = time.monotonic()
        with transaction.atomic():
            existing = Convention.objects.filter(key__startswith=PREFIX)
            if existing.exists():
                if not reset:
                    raise CommandError(
                        f"Un jeu national est déjà là ({existing.count()} conventions) : --reset pour le remplacer."
                    )
                delete_national_set()
            counts = Builder(
                rng=random.Random(seed),
                territories=territories,
                fiches=fiches_per_territory,
                lines=lines_per_fiche,
                report=self.stdout.write if options["verbosity"] > 1 else None,
            ).build()
        # Fresh planner statistics: right after a bulk load, the planner would otherwise still believe the tables
        # nearly empty (autovacuum gets to them later) and pick nested loops over tens of thousands of rows. The
        # funding summary is already filled: the triggers on the lines wrote it in the same transaction. On
        # PostgreSQL, VACUUM as well, as autovacuum would after such a load: it marks the pages all-visible, without
        # which an index-only scan still reads every row from the table (a set measured unvacuumed is slower than
        # any live database). VACUUM cannot run in a transaction: called within one (the tests), ANALYZE only.
        vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)" if vacuum else "ANALYZE")
        elapsed = time.monotonic() - started
        summary = ", ".join(f"{count} {label}" for label, count in counts.items())
        self.stdout.write(f"Jeu national construit en {elapsed:.1f} s : {summary}.")


def delete_national_set():
    """Everything the national set created. Raw deletes, in the order the foreign keys ask: a queryset delete
    would load every row and have django-simple-history write a deletion record for each of them."""
    actions = Action.objects.filter(convention__key__startswith=PREFIX)
    lines = FundingLine.objects.filter(action__in=actions)
    # Rows the set does not create but someone may have added since (small): deleted the ordinary way.
    for related in ("operations", "milestones", "result_indicators", "quality_notes"):
        getattr(Action, related).rel.related_model.objects.filter(action__in=actions).delete()
    for queryset in (
        FundingEvent.objects.filter(funding_line__in=lines),
        FundingLineYear.objects.filter(funding_line__in=lines),
        Payment.objects.filter(funding_line__in=lines),
        lines,
        ProgressUpdate.objects.filter(action__in=actions),
        Action.axes.through.objects.filter(action__in=actions),
        Action.partners.through.objects.filter(action__in=actions),
        actions,
        Envelope.objects.filter(key__startswith=PREFIX),
        Signatory.objects.filter(convention__key__startswith=PREFIX),
        Convention.objects.filter(key__startswith=PREFIX),
        Organisation.objects.filter(key__startswith=PREFIX),
    ):
        queryset._raw_delete(queryset.db)


class Builder:
    """Builds the rows in memory with one random generator, in a fixed order, then inserts them in batches."""

    def __init__(self, *, rng, territories, fiches, lines, report=None):
        self.rng = rng
        self.report = report
        self.started = time.monotonic()
        self.territories = territories
        self.fiches = fiches
        self.lines = lines
        self.now = timezone.now()

    def build(self):
        # As the reference data configures ACV when it is not loaded: its fiches have the three categories.
        self.programme, _ = Programme.objects.get_or_create(
            code="acv", defaults={"name": "Action Cœur de Ville", "fiche_kinds": [value for value, _ in KINDS]}
        )
        self.axes = self._axes()
        self.funders, self.schemes = self._funders()
        communes, conventions = self._territories()
        self._step("territoires et conventions")
        actions = self._actions(communes, conventions)
        self._step("fiches")
        lines = self._funding_lines(actions)
        self._step("lignes de financement")
        years, payments, events = self._line_details(lines)
        self._step("échéances, versements, événements")
        progress = self._progress(actions)
        self._step("états d'avancement")
        return {
            "territoires": len(communes),
            "fiches": len(actions),
            "lignes de financement": len(lines),
            "échéances annuelles": years,
            "versements": payments,
            "événements de financement": events,
            "états d'avancement": progress,
        }

    def _step(self, label):
        if self.report:
            self.report(f"  {label} : {time.monotonic() - self.started:.1f} s")

    def _axes(self):
        axes = list(Axis.objects.filter(programme=self.programme).order_by("number"))
        if axes:
            return axes
        titles = [
            "Réhabilitation-restructuration de l'habitat en centre-ville",
            "Favoriser un développement économique et commercial équilibré",
            "Développer l'accessibilité, la mobilité et les connexions",
            "Mettre en valeur les formes urbaines, l'espace public et le patrimoine",
            "Fournir l'accès aux équipements et services publics",
        ]
        return [
            Axis.objects.create(programme=self.programme, number=str(number), title=title)
            for number, title in enumerate(titles, start=1)
        ]

    def _funders(self):
        funders, schemes = [], {}
        for key, name, short_name, kind, funder_schemes in FUNDERS:
            funder = Organisation.objects.filter(key=key).first() or Organisation.objects.create(
                key=key, name=name, short_name=short_name, kind=kind
            )
            funders.append(funder)
            schemes[funder.pk] = [
                FundingScheme.objects.filter(code=code).first()
                or FundingScheme.objects.create(code=code, name=scheme_name, funder=funder)
                for code, scheme_name in funder_schemes
            ]
        return funders, schemes

    def _territories(self):
        taken = set(Organisation.objects.values_list("name", flat=True))
        names = town_names(self.rng, self.territories, taken)
        communes = Organisation.objects.bulk_create(
            [
                Organisation(key=f"{PREFIX}{number:04d}", name=name, short_name=name, kind=OrganisationKind.COMMUNE)
                for number, name in enumerate(names, start=1)
            ],
            batch_size=BATCH,
        )
        conventions = []
        for commune in communes:
            signed = datetime.date(2018, 6, 1) + datetime.timedelta(days=self.rng.randint(0, 540))
            conventions.append(
                Convention(
                    key=commune.key,
                    programme=self.programme,
                    title=f"Convention-cadre Action Cœur de Ville de {commune.name}",
                    signed_on=signed,
                    starts_on=signed,
                    ends_on=datetime.date(LAST_YEAR, 12, 31),
                    source="Jeu de données national (mesures de charge)",
                )
            )
        conventions = Convention.objects.bulk_create(conventions, batch_size=BATCH)
        signatories = []
        for commune, convention in zip(communes, conventions, strict=True):
            signatories.append(
                Signatory(
                    convention=convention,
                    organisation=commune,
                    representative=f"Le maire de {commune.name}",
                    role=SignatoryRole.BENEFICIARY,
                )
            )
            signatories += [
                Signatory(convention=convention, organisation=funder, role=SignatoryRole.FUNDER)
                for funder in self.funders
            ]
        Signatory.objects.bulk_create(signatories, batch_size=BATCH)
        region = next(funder for funder in self.funders if funder.key == "region")
        Envelope.objects.bulk_create(
            [
                Envelope(
                    key=f"{PREFIX}region-{commune.key[len(PREFIX) :]}",
                    funder=region,
                    territory=commune,
                    scheme=self.schemes[region.pk][0],
                    period_start=2023,
                    period_end=LAST_YEAR,
                    ceiling=Decimal("500000.00"),
                    description=f"Enveloppe régionale de {commune.name} pour 2023-2026",
                )
                for commune in communes
            ],
            batch_size=BATCH,
        )
        return communes, conventions

    def _action(self, commune, convention, number):
        rng = self.rng
        place = rng.choice(PLACES)
        title = f"{rng.choice(WORKS)} {place}"
        cost_kind = pick(rng, COST_KINDS)
        amount = low = high = None
        if cost_kind in (CostKind.EXACT, CostKind.ESTIMATED):
            amount = euros(rng.randint(50, 5000) * 1000 + rng.randint(0, 99) * 10)
        elif cost_kind == CostKind.RANGE:
            low = euros(rng.randint(30, 2000) * 1000)
            high = low + euros(rng.randint(10, 1000) * 1000)
        start_year = rng.randint(2019, 2025)
        start_on, start_precision = fuzzy_date(rng, start_year)
        end_on, end_precision = fuzzy_date(rng, min(start_year + rng.randint(1, 4), LAST_YEAR + 3))
        if rng.random() < 0.1:
            end_on, end_precision = None, Precision.UNKNOWN
        action = Action(
            convention=convention,
            code=f"FA {number}",
            title=title,
            kind=pick(rng, KINDS),
            project_type=rng.choice(ProjectType.values),
            territory=commune,
            project_owner=commune,
            status=pick(rng, ACTION_STATUSES),
            description=(
                f"{title} à {commune.name}, pour {rng.choice(AIMS)}. "
                f"Le projet s'inscrit dans l'opération de revitalisation du territoire."
            ),
            objectives=rng.choice(AIMS).capitalize() + ".",
            cost_kind=cost_kind,
            cost_amount=amount,
            cost_min=low,
            cost_max=high,
            cost_basis=pick(rng, BASES),
            start_on=start_on,
            start_precision=start_precision,
            end_on=end_on,
            end_precision=end_precision,
        )
        # The model's own derivations (normalised code, search text, fuzzy-date bounds): what a service runs.
        action.clean()
        return action

    def _actions(self, communes, conventions):
        actions = [
            self._action(commune, convention, number)
            for commune, convention in zip(communes, conventions, strict=True)
            for number in range(1, self.fiches + 1)
        ]
        actions = Action.objects.bulk_create(actions, batch_size=BATCH)
        axis_links, partner_links = [], []
        for action in actions:
            for axis in self.rng.sample(self.axes, k=min(len(self.axes), self.rng.choice((1, 1, 2)))):
                axis_links.append(Action.axes.through(action_id=action.pk, axis_id=axis.pk))
            if self.rng.random() < 0.2:
                partner = self.rng.choice(self.funders)
                partner_links.append(Action.partners.through(action_id=action.pk, organisation_id=partner.pk))
        Action.axes.through.objects.bulk_create(axis_links, batch_size=BATCH)
        Action.partners.through.objects.bulk_create(partner_links, batch_size=BATCH)
        return actions

    def _funding_lines(self, actions):
        rng = self.rng
        lines = []
        for action in actions:
            if self.lines == 0:
                break
            others = self.lines - 1
            funders = (
                rng.sample(self.funders, k=others)
                if others <= len(self.funders)
                else rng.choices(self.funders, k=others)
            )
            # The commune carries its own share first (autofinancement), then the partners.
            payers = [action.territory, *funders]
            reference = action.cost_amount or action.cost_max or euros(rng.randint(100, 3000) * 1000)
            shares = [rng.randint(5, 30) for _ in payers]
            for position, (payer, share) in enumerate(zip(payers, shares, strict=True)):
                status = pick(rng, LINE_STATUSES)
                amount = euros(reference * share / 100)
                if status in (FundingStatus.PLANNED, FundingStatus.REQUESTED) and rng.random() < 0.05:
                    amount = None  # « montant à préciser »: not zero, unknown
                basis = action.cost_basis
                if basis and rng.random() < 0.03:
                    basis = Basis.TTC if basis == Basis.HT else Basis.HT  # a line on the other basis
                is_commune = payer.pk == action.territory_id
                scheme = None if is_commune else rng.choice(self.schemes[payer.pk])
                decided = status in (FundingStatus.GRANTED, FundingStatus.REFUSED, FundingStatus.PAID)
                decision_date = datetime.date(rng.randint(2019, 2025), rng.randint(1, 12), rng.randint(1, 28))
                line = FundingLine(
                    action=action,
                    funder=payer,
                    scheme=scheme,
                    nature=Nature.AUTOFINANCEMENT if is_commune else SCHEME_NATURES.get(scheme.code, Nature.AUTRE),
                    amount=amount,
                    share=Decimal(share) if action.cost_amount is not None and amount is not None else None,
                    basis=basis,
                    status=status,
                    decision_reference=f"Décision n° {rng.randint(100, 9999)}/{decision_date.year}"
                    if decided and not is_commune
                    else "",
                    decision_date=decision_date if decided else None,
                    note="Montant à confirmer en comité des financeurs." if rng.random() < 0.1 else "",
                    position=position,
                )
                line.split_years = self._split(line)
                lines.append(line)
        return FundingLine.objects.bulk_create(lines, batch_size=BATCH)

    def _split(self, line):
        """The yearly split of a share of the lines: complete (it adds up to the amount) or partial."""
        rng = self.rng
        if line.amount is None or rng.random() >= 0.4:
            return []
        first = rng.randint(2019, LAST_YEAR - 1)
        span = list(range(first, min(first + rng.randint(2, 3), LAST_YEAR + 1)))
        line.years_complete = rng.random() < 0.7
        parts = [rng.randint(1, 10) for _ in span]
        total = line.amount if line.years_complete else euros(line.amount * rng.randint(30, 90) / 100)
        amounts = [euros(total * part / sum(parts)) for part in parts]
        amounts[-1] = total - sum(amounts[:-1])
        return list(zip(span, amounts, strict=True))

    def _line_details(self, lines):
        """Yearly splits for a share of the lines, payments on every versé line (they make it versé) and on some
        accordé ones, and each line's events as the services record them."""
        rng = self.rng
        years, payments, events = [], [], []
        for index, line in enumerate(lines, start=1):
            events.append(
                FundingEvent(
                    funding_line=line,
                    at=self.now,
                    from_status="",
                    to_status=FundingStatus.GRANTED if line.status == FundingStatus.PAID else line.status,
                    amount=line.amount,
                    note="création de la ligne",
                )
            )
            if line.amount is None:
                continue
            years += [FundingLineYear(funding_line=line, year=year, amount=amount) for year, amount in line.split_years]
            paid_on = (line.decision_date or datetime.date(2024, 1, 1)) + datetime.timedelta(days=rng.randint(30, 300))
            if line.status == FundingStatus.PAID and line.amount > 0:
                instalments = [line.amount] if rng.random() < 0.5 else [euros(line.amount / 2)]
                if len(instalments) == 1 or instalments[0] == 0:
                    instalments = [line.amount]
                else:
                    instalments.append(line.amount - instalments[0])
                for number, amount in enumerate(instalments, start=1):
                    last = number == len(instalments)
                    payments.append(
                        Payment(
                            funding_line=line, paid_on=paid_on, amount=amount, reference=f"Mandat {index:06d}-{number}"
                        )
                    )
                    events.append(
                        FundingEvent(
                            funding_line=line,
                            at=self.now,
                            from_status=FundingStatus.GRANTED,
                            to_status=FundingStatus.PAID if last else FundingStatus.GRANTED,
                            amount=amount,
                            note="versement du solde" if last else "versement partiel",
                        )
                    )
                    paid_on += datetime.timedelta(days=rng.randint(30, 200))
            elif line.status == FundingStatus.GRANTED and line.amount > 0 and rng.random() < 0.25:
                amount = euros(line.amount * rng.randint(20, 60) / 100) or line.amount
                payments.append(
                    Payment(funding_line=line, paid_on=paid_on, amount=amount, reference=f"Mandat {index:06d}-1")
                )
                events.append(
                    FundingEvent(
                        funding_line=line,
                        at=self.now,
                        from_status=FundingStatus.GRANTED,
                        to_status=FundingStatus.GRANTED,
                        amount=amount,
                        note="versement partiel",
                    )
                )
        FundingLineYear.objects.bulk_create(years, batch_size=BATCH)
        Payment.objects.bulk_create(payments, batch_size=BATCH)
        FundingEvent.objects.bulk_create(events, batch_size=BATCH)
        return len(years), len(payments), len(events)

    def _progress(self, actions):
        rng = self.rng
        updates = []
        for action in actions:
            if rng.random() < 0.5:
                continue
            for year, semester in rng.sample([(2024, 2), (2025, 1), (2025, 2)], k=rng.randint(1, 2)):
                done = {ActionStatus.DELIVERED: 100, ActionStatus.PLANNED: 0}.get(action.status, rng.randint(5, 95))
                updates.append(
                    ProgressUpdate(
                        action=action,
                        year=year,
                        semester=semester,
                        status=action.status,
                        percent_done=done,
                        achievements=rng.choice(
                            [
                                "Marché de maîtrise d'œuvre attribué.",
                                "Concertation avec les riverains et les commerçants.",
                                "Études préalables rendues.",
                                "Travaux de la première tranche engagés.",
                            ]
                        ),
                        difficulties="Hausse du coût des matériaux." if rng.random() < 0.3 else "",
                        next_steps="Lancement de la consultation des entreprises.",
                    )
                )
        ProgressUpdate.objects.bulk_create(updates, batch_size=BATCH)
        return len(updates)
