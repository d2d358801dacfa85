"""simple-history with Japanese labels: its history fields (history date,
history user, ...) and its model names (``historical 講座開設者``) are English
and not translatable, and they show in the admin's history pages."""

from django.db import models
from django.utils.text import format_lazy
from simple_history.models import HistoricalRecords as BaseHistoricalRecords

HISTORY_FIELD_LABELS = {
    "history_id": "履歴番号",
    "history_date": "変更日時",
    "history_change_reason": "変更理由",
    "history_type": "変更の種類",
    "history_user": "変更者",
}


class HistoricalRecords(BaseHistoricalRecords):
    def get_extra_fields(self, model, fields):
        extra = super().get_extra_fields(model, fields)
        for name, label in HISTORY_FIELD_LABELS.items():
            if isinstance(extra.get(name), models.Field):
                extra[name].verbose_name = label
        return extra

    def get_meta_options(self, model):
        meta = super().get_meta_options(model)
        if not self.user_set_verbose_name:
            meta["verbose_name"] = format_lazy("{}の変更履歴", model._meta.verbose_name)
        if not self.user_set_verbose_name_plural:
            meta["verbose_name_plural"] = format_lazy(
                "{}の変更履歴", model._meta.verbose_name_plural
            )
        return meta
