"""Pagination of long lists, for the pages and the API (apart from acv.api: DRF imports it while building its own
generic views).

Two ways through a list, neither of which computes anything for the rows it skips:

- page numbers (`?page=`), read by IdFirstPaginator: the ids of the page are sorted and skipped over the ids
  alone (an index walk when the order has an index), then the rows of those ids are read with everything the
  page annotates — per-row roll-ups are never computed for the thousands of rows an OFFSET passes;
- a cursor (`?cursor=`, the API), keyset pagination on the primary key: each page starts after the last id of
  the previous one, so a client walking every row sees each exactly once even while rows are being added.
"""

from collections import OrderedDict

from django.core.paginator import Paginator
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response


class IdFirstPaginator(Paginator):
    """A Paginator that picks a page's ids first, sorting and skipping ids only, then reads the rows of those ids
    in the same order, with everything the page annotates.

    Two queries rather than one `WHERE id IN (SELECT id … LIMIT … OFFSET …)`: given the ids as values, the second
    query reads its rows through the primary key, where PostgreSQL, given the subquery, scanned the whole table
    again for the viewer's access rules (a partner's list: 44 ms instead of a few at national scale).

    A page in the second half of the list is picked walking the order backwards from the end: with an index that
    gives the order (or its first keys), the last page then costs what the first does, instead of sorting and
    skipping every row before it. The primary key ends the order so that both walks see the same sequence, ties
    included."""

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        rows = self.object_list
        if not isinstance(rows, QuerySet):
            return self._get_page(rows[bottom:top], number, self)
        ordered = _with_pk_last(rows)
        if ordered is None:
            ids = rows.values_list("pk", flat=True)[bottom:top]
            return self._get_page(rows.filter(pk__in=list(ids)), number, self)
        if bottom > self.count - top:
            # The same rows, counted from the end of the reversed order.
            ids = ordered.reverse().values_list("pk", flat=True)[self.count - top : self.count - bottom]
        else:
            ids = ordered.values_list("pk", flat=True)[bottom:top]
        # Still read through the restricted queryset: the ids narrow it, they do not replace the access rules.
        return self._get_page(ordered.filter(pk__in=list(ids)), number, self)


def _with_pk_last(rows):
    """`rows` ordered by their ordering then the primary key (a total order, walked alike both ways), or None when
    they have no ordering."""
    query = rows.query
    ordering = list(query.order_by) or (list(rows.model._meta.ordering) if query.default_ordering else [])
    if not ordering:
        return None
    return rows.order_by(*ordering, "pk")


class KeysetPagination(CursorPagination):
    """Keyset pagination on the primary key (unique, indexed): the API's `?cursor=` walk."""

    ordering = "pk"
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        # The same response shape as the numbered pages: the number of rows the filters select comes along.
        self.count = queryset.count()
        return super().paginate_queryset(queryset.order_by(), request, view)

    def get_paginated_response(self, data):
        return Response(
            OrderedDict(
                [
                    ("count", self.count),
                    ("next", self.get_next_link()),
                    ("previous", self.get_previous_link()),
                    ("results", data),
                ]
            )
        )


class StandardPagination(PageNumberPagination):
    """Numbered pages (ids first), or the keyset walk when the request carries `cursor` (empty: its first page)."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    django_paginator_class = IdFirstPaginator
    cursor_query_param = "cursor"

    def paginate_queryset(self, queryset, request, view=None):
        if self.cursor_query_param in request.query_params:
            self.keyset = KeysetPagination()
            return self.keyset.paginate_queryset(queryset, request, view)
        self.keyset = None
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        if self.keyset is not None:
            return self.keyset.get_paginated_response(data)
        return super().get_paginated_response(data)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        parameters.append(
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": OpenApiParameter.QUERY,
                "description": "Parcours par curseur (pagination par clé) : vide pour la première page, puis la "
                "valeur donnée par « next ». Chaque fiche une seule fois, même si d'autres sont ajoutées "
                "pendant le parcours ; ordre : identifiant croissant.",
                "schema": {"type": "string"},
            }
        )
        return parameters
