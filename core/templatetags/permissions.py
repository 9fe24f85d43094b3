"""{% allowed "app.rule" obj as name %}: whether the person viewing the page may do it."""

from django import template

from core.permissions import rule

register = template.Library()


@register.simple_tag(takes_context=True)
def allowed(context, name: str, obj) -> bool:
    return rule(name).allows(context.get("user"), obj)
