"""Issue 8 (W1): the life cycles are declared once (each app's workflow.py on
portal.workflow). No view, service, document, demo or template spells a state
value: Python refers to the declared enums (``ExamApplication.S.SUBMITTED``)
or asks the workflow (``workflow.state_of(obj).returned``), templates ask the
workflow_tags (``obj|editable``, ``obj|returned``, ``{% can obj "accept" %}``).

The state values are taken from the registered workflows, so a new filing
kind is covered as soon as it is registered."""

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.template import Context, Template, TemplateSyntaxError

from courses.models import DeliveryCourse, ExemptionCourse
from portal import workflow

ROOT = Path(settings.BASE_DIR).resolve()
EXTRA_PYTHON_DIRS = ("benchmarks",)  # not an app, but builds filings too
SKIPPED_DIRS = {"migrations", "tests", "__pycache__", "node_modules"}
DECLARATION_FILE = "workflow.py"  # each app's declaration (and portal's engine)


def state_values() -> set[str]:
    return {state.value for flow in workflow.all_workflows() for state in flow.states}


def _local_apps():
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if path.is_relative_to(ROOT) and not any(p.startswith(".") for p in path.parts):
            yield path


def python_files():
    dirs = [*_local_apps(), *(ROOT / d for d in EXTRA_PYTHON_DIRS if (ROOT / d).is_dir())]
    for directory in dirs:
        for path in sorted(directory.rglob("*.py")):
            parts = set(path.relative_to(ROOT).parts[:-1])
            if parts & SKIPPED_DIRS or path.name == DECLARATION_FILE:
                continue
            yield path


def template_files():
    dirs = [Path(d) for engine in settings.TEMPLATES for d in engine.get("DIRS", [])]
    dirs += [app / "templates" for app in _local_apps()]
    for directory in dirs:
        if directory.is_dir():
            yield from sorted(p for p in directory.rglob("*") if p.suffix in {".html", ".txt"})


def _choices_members(tree) -> set[int]:
    """ids of the string constants that define a member of a Choices class
    (``DRAFT = "draft", "作成中"``): the model's own declaration of a value."""
    members = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        bases = {getattr(b, "attr", getattr(b, "id", "")) for b in node.bases}
        if not any(name.endswith("Choices") for name in bases):
            continue
        for statement in node.body:
            if isinstance(statement, ast.Assign):
                value = statement.value
                first = value.elts[0] if isinstance(value, ast.Tuple) and value.elts else value
                if isinstance(first, ast.Constant):
                    members.add(id(first))
    return members


def python_literals(source: str, values: set[str]) -> list[tuple[int, str]]:
    """(line, value) of every string constant that is a state value, outside
    a Choices member definition."""
    tree = ast.parse(source)
    members = _choices_members(tree)
    return sorted(
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value in values
        and id(node) not in members
    )


TEMPLATE_CODE = re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.DOTALL)
QUOTED = re.compile(r"""(["'])(.*?)\1""")


def template_literals(text: str, values: set[str]) -> list[tuple[int, str]]:
    """(line, value) of every quoted state value inside a template tag or
    variable (``{% if report.state == "draft" %}``, ``{{ x|default:"draft" }}``);
    HTML outside the template language (a CSS class) is not a state."""
    found = []
    for code in TEMPLATE_CODE.finditer(text):
        for quoted in QUOTED.finditer(code.group()):
            if quoted.group(2) in values:
                line = text.count("\n", 0, code.start() + quoted.start()) + 1
                found.append((line, quoted.group(2)))
    return found


# The scanners themselves ----------------------------------------------------


def test_the_python_scanner_finds_state_literals_and_spares_declarations():
    values = {"draft", "submitted"}
    source = (
        "from django.db import models\n"
        "class ReportState(models.TextChoices):\n"
        '    DRAFT = "draft", "作成中"\n'
        "def f(report, qs):\n"
        '    if report.state == "draft":\n'
        '        return qs.filter(state__in=["submitted"])\n'
        '    return "drafting"  # a comment saying "draft"\n'
    )
    assert python_literals(source, values) == [(5, "draft"), (6, "submitted")]


def test_the_template_scanner_finds_state_literals_in_template_code_only():
    values = {"returned", "draft"}
    text = (
        '<section class="card returned">\n'
        '<p class="returned">{% if report.state == "returned" %}x{% endif %}</p>\n'
        "{% if a and\n b.state != 'draft' %}{% endif %}{{ c|default:\"draft\" }}\n"
    )
    assert template_literals(text, values) == [(2, "returned"), (4, "draft"), (4, "draft")]


# The tree ---------------------------------------------------------------------


def test_every_filing_kind_declares_its_states():
    """The values the scans look for: every registered workflow, its states
    among its model field's choices."""
    flows = {flow.model: flow for flow in workflow.all_workflows()}
    assert {
        "providers.Registration",
        "courses.ExemptionCourse",
        "courses.DeliveryCourse",
        "exams.ExamApplication",
        "exams.ResultReport",
    } <= set(flows)
    for flow in flows.values():
        field = flow.model_class()._meta.get_field(flow.field)
        assert set(flow.values(lambda s: True)) <= {value for value, _ in field.choices}, flow.model


def test_no_state_literal_in_python_outside_the_declarations():
    values = state_values()
    files = list(python_files())
    assert any(p.name == "views.py" for p in files)  # the scan sees the apps
    found = [
        f"{path.relative_to(ROOT)}:{line}: {value!r}"
        for path in files
        for line, value in python_literals(path.read_text(encoding="utf-8"), values)
    ]
    assert not found, (
        "State values spelled outside the workflow declarations; use the declared "
        "enum (e.g. ExamApplication.S.SUBMITTED) or ask portal.workflow "
        "(state_of(obj).returned, is_editable_by_provider, may), or name a value that "
        "is no filing state with its own TextChoices:\n" + "\n".join(found)
    )


def test_no_state_literal_in_templates():
    values = state_values()
    files = list(template_files())
    assert any(p.name == "report.html" for p in files)  # the scan sees the templates
    found = [
        f"{path.relative_to(ROOT)}:{line}: {value!r}"
        for path in files
        for line, value in template_literals(path.read_text(encoding="utf-8"), values)
    ]
    assert not found, (
        "Templates compare state values; ask the workflow instead ({% load workflow_tags %}: "
        "obj|editable, obj|waiting_for_ipa, obj|returned, obj|in_force, obj|closed, "
        'obj|state_label, obj|state_badge, {% can obj "action" as may %}):\n' + "\n".join(found)
    )


# The declared flags ------------------------------------------------------------


PHASES = ("waiting_for_ipa", "returned", "in_force", "closed")


def test_each_state_is_in_at_most_one_phase():
    for flow in workflow.all_workflows():
        for state in flow.states:
            phases = [name for name in PHASES if getattr(state, name)]
            assert len(phases) <= 1, (flow.model, state.value, phases)
            if state.provider_may_edit:
                assert phases in ([], ["returned"]), (flow.model, state.value)
            if state.returned:
                assert state.provider_may_edit, (flow.model, state.value)


# The template tags ---------------------------------------------------------------

S = ExemptionCourse.S


def _render(text, **context):
    return Template("{% load workflow_tags %}" + text).render(Context(context)).strip()


@pytest.mark.parametrize(
    "state, facts",
    [
        (S.DRAFT, "editable"),
        (S.SUBMITTED, "waiting_for_ipa"),
        (S.RETURNED, "editable returned"),
        (S.APPROVED, ""),
        (S.CERTIFIED, "in_force"),
        (S.EXPIRED, "closed"),
        (S.REVOKED, "closed"),
        (S.WITHDRAWN, "closed"),
    ],
)
def test_the_filters_tell_the_declared_facts_of_a_course(state, facts):
    course = ExemptionCourse(state=state)
    shown = _render(
        "{% if c|editable %}editable {% endif %}{% if c|waiting_for_ipa %}waiting_for_ipa {% endif %}"
        "{% if c|returned %}returned {% endif %}{% if c|in_force %}in_force {% endif %}"
        "{% if c|closed %}closed{% endif %}",
        c=course,
    )
    assert shown == facts
    declared = workflow.for_model(ExemptionCourse).state(state)
    assert _render("{{ c|state_label }}", c=course) == S(state).label == declared.label
    assert _render("{{ c|state_badge }}", c=course) == declared.badge


@pytest.mark.django_db
def test_can_asks_the_declared_move(provider_a, staff_a, staff_b, reviewer):
    returned = ExemptionCourse(provider=provider_a, state=S.RETURNED)
    submitted = ExemptionCourse(provider=provider_a, state=S.SUBMITTED)
    may = "{% can c action as ok %}{{ ok }}"
    assert _render(may, c=returned, action="withdraw", user=staff_a) == "True"
    assert _render(may, c=returned, action="withdraw", user=staff_b) == "False"  # not theirs
    assert _render(may, c=returned, action="approve", user=reviewer) == "False"  # not waiting
    assert _render(may, c=submitted, action="approve", user=reviewer) == "True"
    assert _render(may, c=submitted, action="approve", user=staff_a) == "False"
    # A move made only with its parent is never offered on its own.
    delivery = DeliveryCourse(course=submitted, state=S.SUBMITTED)
    assert _render(may, c=delivery, action="approve_with_course", user=reviewer) == "False"
    # conditions=True: also the declared conditions (D7: filed alone only
    # for a certified course).
    draft = DeliveryCourse(course=returned, state=S.DRAFT)
    alone = '{% can d "submit" conditions=True as ok %}{{ ok }}'
    assert _render('{% can d "submit" as ok %}{{ ok }}', d=draft, user=staff_a) == "True"
    assert _render(alone, d=draft, user=staff_a) == "False"
    certified = ExemptionCourse(provider=provider_a, state=S.CERTIFIED)
    assert _render(alone, d=DeliveryCourse(course=certified, state=S.DRAFT), user=staff_a) == (
        "True"
    )


def test_can_refuses_an_undeclared_action():
    with pytest.raises(workflow.TransitionError):
        _render('{% can c "approv" as ok %}', c=ExemptionCourse(state=S.SUBMITTED), user=None)
    with pytest.raises(TemplateSyntaxError):
        Template("{% load workflow_tags %}{% can %}")
