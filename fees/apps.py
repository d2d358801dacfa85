from django.apps import AppConfig


class FeesConfig(AppConfig):
    name = "fees"
    verbose_name = "手数料・入金"
