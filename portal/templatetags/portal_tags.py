from django import template

register = template.Library()


@register.filter
def is_in(value, container):
    return bool(container) and value in container
