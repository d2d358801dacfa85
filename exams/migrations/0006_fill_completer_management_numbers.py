"""R4, step 2 of 3: fill the 修了認定者管理番号 of the existing completers.

Before R4 was enforced, serials restarted at 00001 in every report, so two
completers of one provider and one exam month may share a number. The first
holder keeps it — completers of accepted reports first (IPA already has their
numbers), then submitted ones, then drafts, each in the order they were
created — and every later holder gets the next free serial of that provider
and month (gaps stay allowed, R3)."""

from django.db import migrations

STATE_ORDER = {"accepted": 0, "submitted": 1, "returned": 2, "draft": 3}


def assign_numbers(rows):
    """rows: (pk, prefix, serial, report state, report pk) of every completer.
    Returns {pk: (serial, 16-character number)} with no number twice."""
    result = {}
    used: dict[str, set[int]] = {}
    # New serials start above every serial of the month, so a renumbered
    # completer never takes the serial of one not looked at yet.
    highest: dict[str, int] = {}
    for _pk, prefix, serial, _state, _report in rows:
        highest[prefix] = max(highest.get(prefix, 0), serial)
    for pk, prefix, serial, _state, _report in sorted(
        rows, key=lambda r: (STATE_ORDER.get(r[3], 9), r[4], r[0])
    ):
        taken = used.setdefault(prefix, set())
        if serial in taken:
            highest[prefix] += 1
            serial = highest[prefix]
        taken.add(serial)
        result[pk] = (serial, f"{prefix}{serial:05d}")
    return result


def fill(apps, schema_editor):
    Completer = apps.get_model("exams", "Completer")
    completers = {
        c.pk: c
        for c in Completer.objects.select_related("report__delivery_course__course__provider")
    }
    rows = [
        (
            c.pk,
            f"{c.report.delivery_course.course.provider.number}FE{c.report.exam_date:%y%m}",
            c.serial,
            c.report.state,
            c.report_id,
        )
        for c in completers.values()
    ]
    for pk, (serial, number) in assign_numbers(rows).items():
        Completer.objects.filter(pk=pk).update(serial=serial, management_number=number)


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0005_completer_management_number"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
