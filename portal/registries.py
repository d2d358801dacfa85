"""One registry of things the apps register with portal without portal
importing them: the documents (``documents.py``), the IPA inbox's sources
(``inbox.py``) and the reminder kinds (``reminders.py``). Each app's module of
that name is imported once, the first time the registry is read (a module
imported directly earlier does not stop the others from being found)."""

from django.utils.module_loading import autodiscover_modules


class Registry:
    def __init__(self, module: str, what: str):
        self.module = module  # the name of each app's module that registers
        self.what = what  # what is registered, for the error message
        self._items: dict = {}
        self._discovered = False

    def register(self, key: str, item):
        """Register ``item`` under ``key``; the same key twice is an error
        unless it is the same item (a module imported twice)."""
        if key in self._items and self._items[key] != item:
            raise ValueError(f"{self.what} {key} registered twice")
        self._items[key] = item
        return item

    def load(self) -> None:
        if not self._discovered:
            autodiscover_modules(self.module)
            self._discovered = True

    def get(self, key: str, *default):
        """The item of ``key`` (KeyError without one), or ``default``."""
        self.load()
        return self._items.get(key, *default) if default else self._items[key]

    def items(self) -> list:
        self.load()
        return list(self._items.values())

    # Mapping access (tests put a stand-in in place with monkeypatch.setitem).
    def __contains__(self, key) -> bool:
        return key in self._items

    def __getitem__(self, key):
        return self._items[key]

    def __setitem__(self, key, item) -> None:
        self._items[key] = item

    def __delitem__(self, key) -> None:
        del self._items[key]
