"""How API lists are paged (docs/API.md, "Pagination"): page numbers everywhere, `?page=` and
`?page_size=` (at most MAX_PAGE_SIZE), answering {count, next, previous, results}; the feed
pages with a cursor instead (posts.api.views.FeedPagination)."""

from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_SUGGESTIONS = 50  # suggestions/ is a short ranked list, not paged


def bounded_int_parameter(request, name: str, *, default: int, maximum: int) -> int:
    """A whole-number query parameter from 1 to `maximum`, `default` when absent; anything else
    is a 400 naming it, never silently another value."""
    values = request.query_params.getlist(name)
    if not values:
        return default
    value = values[0]
    if len(values) > 1 or not value.isascii() or not value.isdigit():
        raise ValidationError(
            {name: [_("A whole number from 1 to %(maximum)s.") % {"maximum": maximum}]}
        )
    if not 1 <= int(value) <= maximum:
        raise ValidationError(
            {name: [_("A whole number from 1 to %(maximum)s.") % {"maximum": maximum}]}
        )
    return int(value)


def page_size_of(request, name: str = "page_size") -> int:
    return bounded_int_parameter(request, name, default=PAGE_SIZE, maximum=MAX_PAGE_SIZE)


class StrictPageSize:
    """Page sizes as page_size_of reads them, and the schema saying so."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request) -> int:
        return page_size_of(request, self.page_size_query_param)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update({"minimum": 1, "maximum": MAX_PAGE_SIZE})
            if parameter["name"] == "page":
                parameter["schema"].update({"minimum": 1})
            if parameter["name"] == "cursor":
                parameter["schema"].update({"maxLength": 200})
        return parameters


class PageNumberPagination(StrictPageSize, pagination.PageNumberPagination):
    page_size = PAGE_SIZE

    def get_page_number(self, request, paginator):
        """`?page=` as a whole number from 1; anything else is a 400 (past the end: 404)."""
        values = request.query_params.getlist(self.page_query_param)
        if not values:
            return 1
        if len(values) > 1 or not (values[0].isascii() and values[0].isdigit()):
            raise ValidationError({self.page_query_param: [_("A whole number from 1.")]})
        return values[0]
