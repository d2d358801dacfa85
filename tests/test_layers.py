"""The apps' layers (DESIGN "Layout", Issue 8): an app imports only the apps
below it in ``[tool.importlinter]`` (pyproject.toml), ``portal`` imports no
domain app, and no two apps import each other (with the layers, no cycle
of apps at all: a cycle would need an import upwards). ``make test`` runs
``lint-imports`` on the same contract; these tests say the same per pair of
apps, and that no app escapes the contract. Imports inside functions count
(grimp sees them); tests/ are not part of it."""

import itertools
import tomllib
from pathlib import Path

import grimp
import pytest
from django.apps import apps
from django.conf import settings

CONFIG = tomllib.loads((Path(settings.BASE_DIR) / "pyproject.toml").read_text(encoding="utf-8"))[
    "tool"
]["importlinter"]
LAYERS = next(c for c in CONFIG["contracts"] if c["id"] == "layers")["layers"]  # top first
DOMAIN_APPS = [app for app in LAYERS if app != "portal"]


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph(*CONFIG["root_packages"], cache_dir=None)


def _imports(graph, importer: str, imported: str) -> bool:
    """Whether a module of ``importer`` imports a module of ``imported``
    directly (an indirect chain is made of direct imports, each checked)."""
    return graph.direct_import_exists(importer=importer, imported=imported, as_packages=True)


def test_every_app_of_the_project_is_in_the_layers():
    base = Path(settings.BASE_DIR).resolve()
    project_apps = {
        config.name for config in apps.get_app_configs() if Path(config.path).parent == base
    }
    assert project_apps == set(CONFIG["root_packages"]) == set(LAYERS)
    assert len(LAYERS) == len(set(LAYERS))
    assert LAYERS[-1] == "portal"  # the ground


@pytest.mark.parametrize("app", DOMAIN_APPS)
def test_portal_imports_no_domain_app(graph, app):
    assert not _imports(graph, "portal", app)


@pytest.mark.parametrize(
    ("lower", "higher"),
    [pytest.param(lower, higher) for i, higher in enumerate(LAYERS) for lower in LAYERS[i + 1 :]],
)
def test_an_app_imports_no_app_above_it(graph, lower, higher):
    assert not _imports(graph, lower, higher), f"{lower} imports {higher}"


@pytest.mark.parametrize(
    ("first", "second"),
    [pytest.param(a, b) for a, b in itertools.combinations(LAYERS, 2)],
)
def test_no_two_apps_import_each_other(graph, first, second):
    both = _imports(graph, first, second) and _imports(graph, second, first)
    assert not both, f"{first} and {second} import each other"
