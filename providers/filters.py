import django_filters
from django.db.models import Q

from .models import Category, Registration


class RegistrationFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        label="状態", choices=Registration.State.choices, empty_label="すべて"
    )
    category = django_filters.ChoiceFilter(
        label="区分", choices=Category.choices, empty_label="すべて"
    )
    q = django_filters.CharFilter(label="キーワード", method="search")

    class Meta:
        model = Registration
        fields = ["state", "category"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(name_kana__icontains=value)
            | Q(contact_email__icontains=value)
            | Q(provider__number=value)
        )
