from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "providers"
    verbose_name = "講座開設者"

    def ready(self):
        # The registration's life cycle (portal.workflow).
        from portal import isolation, roles

        from . import (
            change_kinds,  # noqa: F401  (what of a provider a change request changes)
            services,
            workflow,  # noqa: F401
        )

        # portal knows no domain app: tell it who a provider's staff are, and
        # that a withdrawn or revoked provider submits nothing (P6/P8).
        roles.register_membership_lookup(services.active_membership)
        isolation.register_write_guard(services.require_active)
