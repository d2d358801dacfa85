"""The README's life-cycle tables are the declarations themselves
(`manage.py describe_workflows`): a change to a workflow that is not carried
into the README fails here."""

from pathlib import Path

from portal.management.commands.describe_workflows import markdown


def test_readme_shows_every_declared_life_cycle_as_generated():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert markdown() in readme, "README.md: run `manage.py describe_workflows` and paste it"
