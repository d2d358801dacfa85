from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from . import audit


@receiver(user_logged_in)
def _login(sender, request, user, **kwargs):
    audit.record("auth.login", user, actor=user)


@receiver(user_logged_out)
def _logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record("auth.logout", user, actor=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    # Never store the password; the e-mail tried is enough to follow an attack.
    audit.record("auth.login_failed", note=str(credentials.get("username", ""))[:200])


BUILTIN_PERMISSION_LABELS = {
    "add": "{}を追加できる",
    "change": "{}を変更できる",
    "delete": "{}を削除できる",
    "view": "{}を閲覧できる",
}


@receiver(post_migrate)
def _japanese_permission_names(sender, app_config=None, using="default", **kwargs):
    """Django names its built-in permissions in English (``Can add 監査ログ``),
    and the group page of the admin lists them: name them in Japanese."""
    from django.conf import settings
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from django.utils import translation

    if app_config is None or not app_config.models_module:
        return
    for model in app_config.get_models():
        opts = model._meta
        content_type = ContentType.objects.db_manager(using).get_for_model(
            model, for_concrete_model=False
        )
        with translation.override(settings.LANGUAGE_CODE):  # migrate runs untranslated
            name = str(opts.verbose_name)
        for action in opts.default_permissions:
            label = BUILTIN_PERMISSION_LABELS.get(action)
            if label:
                Permission.objects.using(using).filter(
                    content_type=content_type, codename=f"{action}_{opts.model_name}"
                ).update(name=label.format(name)[:255])
