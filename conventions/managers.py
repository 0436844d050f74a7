from django.db import models
from django.db.models import Q


class OrganisationQuerySet(models.QuerySet):
    def by_any_name(self, name):
        """Organisations known under this name, official or as another document writes it."""
        return self.filter(Q(name__iexact=name) | Q(short_name__iexact=name) | Q(aliases__name__iexact=name)).distinct()

    def communes(self):
        return self.filter(kind="commune")
