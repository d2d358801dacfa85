"""Issue 11, item 2: the check of benchmarks/load.py — every write answered
with success stored exactly once, every refused one left nothing — on
fabricated records (no server, no database, no locust)."""

import collections
import importlib.util
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from .conftest import client_for
from .test_exams_services import setup  # noqa: F401  (fixture)

PATH = Path(__file__).resolve().parent.parent / "benchmarks" / "load.py"


@pytest.fixture(scope="module")
def load():
    spec = importlib.util.spec_from_file_location("load_benchmark", PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def _writes(load):
    W = load.Write
    return [
        W("form", 0, ["一"], "stored"),
        W("form", 1, ["二"], "refused"),
        W("upload", 2, ["三", "四", "五"], "stored"),
        W("upload", 3, ["六", "七"], "refused"),
    ]


def test_i11_load_check_passes_when_each_success_is_stored_once(load):
    stored = collections.Counter({"一": 1, "三": 1, "四": 1, "五": 1})
    result = load.verify_writes(_writes(load), stored)
    assert result.ok
    assert (result.writes, result.stored, result.refused) == (4, 2, 2)


def test_i11_load_check_finds_lost_doubled_left_over_and_phantom_writes(load):
    stored = collections.Counter({"一": 2, "三": 1, "五": 1, "七": 1, "九": 1})
    result = load.verify_writes(_writes(load), stored)
    assert not result.ok
    assert [(w.user, m) for w, m in result.lost] == [(2, "四")]  # an upload's row missing
    assert result.doubled == [("一", 2)]
    assert [(w.user, m) for w, m in result.left_over] == [(3, "七")]  # refused, yet stored
    assert result.phantom == ["九"]  # stored by no write
    assert [w.user for w in result.partial] == [2, 3]  # an upload is all rows or none


def test_i11_load_check_counts_an_unknown_outcome_as_a_failure(load):
    writes = [load.Write("form", 0, ["一"])]  # no answer recorded
    result = load.verify_writes(writes, collections.Counter({"一": 1}))
    assert not result.ok and result.unknown == writes


def test_i11_load_markers_are_valid_distinct_names(load):
    from portal.validators import KatakanaValidator, PersonNameValidator

    names = {load.marker_names(n) for n in (0, 1, 10, 1234567, 9999999)}
    assert len(names) == 5
    for given, kana in names:
        PersonNameValidator("名（漢字）")(given)
        KatakanaValidator("名（カナ）")(kana)


def test_i11_load_form_parser_sends_every_hidden_input(load):
    page = (
        '<form method="post" action="/other/"><input type="hidden" name="x" value="1"></form>'
        '<form method="post" action="/exams/reports/7/completers/add/#completer-form">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="abc">'
        '<input type="hidden" name="idempotency_token" value="tok">'
        '<input type="number" name="serial" value="21"><input type="checkbox" name="c" value="1">'
        '<input type="submit" name="go" value="登録"></form>'
    )
    assert load.form_fields(page, "/exams/reports/7/completers/add/") == {
        "csrfmiddlewaretoken": "abc",
        "idempotency_token": "tok",
        "serial": "21",
    }
    assert load.form_fields(page, "/nowhere/") is None


def test_i11_load_window_closes_at_17_00_only_in_the_last_10_minutes(load):
    import datetime

    jst = load.JST
    close = load.closing_time(datetime.datetime(2026, 12, 2, 16, 52, 30, tzinfo=jst))
    assert close == datetime.datetime(2026, 12, 2, 17, 0, tzinfo=jst)
    # Any other time: 10 to 11 minutes from now, on the minute.
    close = load.closing_time(datetime.datetime(2026, 12, 3, 0, 40, 30, tzinfo=jst))
    assert close == datetime.datetime(2026, 12, 3, 0, 51, tzinfo=jst)


@pytest.mark.django_db
def test_i11_load_refusal_texts_are_the_portals_own(load, setup, staff_a, client):  # noqa: F811
    """The benchmark knows a refused write by the portal's texts: they must be
    what the completer form and the upload preview really say (a changed
    heading made every refused upload count as an error)."""
    from certifications import services as completer_services

    from .test_i11_uploads import HEADER, _open_report

    report = _open_report(setup, staff_a)
    user = client_for(client, staff_a)
    bad = "\r\n".join([HEADER, ",①,②,abc,def,xx,60"]).encode()
    upload = completer_services.stage_upload(report.pk, staff_a, "c.csv", bad)
    preview = user.get(reverse("upload_preview", args=[upload.pk])).content.decode()
    assert load.UPLOAD_REFUSED in preview
    refused = user.post(reverse("completer_add", args=[report.pk]), {"family_name": ""})
    assert refused.status_code == 200 and load.FORM_REFUSED in refused.content.decode()
