"""Query helpers every app's selectors share."""

from django.db.models import Func, IntegerField, QuerySet, Subquery
from django.db.models.functions import Coalesce


def subquery_count(subquery: QuerySet) -> Coalesce:
    """COUNT(*) of a correlated subquery (rows matching OuterRef), 0 when there are none.

    COUNT(*) rather than COUNT(id): PostgreSQL can answer from an index alone. The subquery
    must be grouped on the outer key (`.order_by().values("<outer key field>")`).
    """
    grouped = subquery.annotate(n=Func(template="COUNT(*)", output_field=IntegerField()))
    return Coalesce(Subquery(grouped.values("n"), output_field=IntegerField()), 0)
