"""What fees tells the apps above it. They connect their receivers in their
AppConfig.ready; fees imports none of them (see [tool.importlinter])."""

from django.dispatch import Signal

# F3: IPA confirmed a 入金確認依頼票. Sent inside the confirming transaction
# (a receiver's error undoes the confirmation) with ``request`` (the
# PaymentRequest), ``lines`` (its FeeLines), ``on`` (the confirmed date) and
# ``actor`` (the reviewer). The app that charged a line records what the
# payment means for its own data, through its own services.
payment_confirmed = Signal()
