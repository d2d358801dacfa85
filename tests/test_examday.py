"""The exam day: proctors (E5), timetable with the delay of M§6.12 (E6), the
answer sheet and exam-day sheet PDFs (E7), special measures (E10) and the
exam-day pages with their permissions."""

import datetime
import re
import shutil
import subprocess
from types import SimpleNamespace

import pytest

from calendars.models import ExamSession
from exams.examday import documents as examday_documents
from exams.examday import rules as examday
from exams.models import ExamApplication, ExamSite, SpecialMeasureRequest
from portal import documents
from portal.models import AuditEntry

from .course_factories import complete_course

pytestmark = pytest.mark.django_db

EXAM = datetime.date(2024, 12, 8)
JUNE = datetime.date(2024, 6, 9)
T = datetime.time
SITE_VALUES = {
    "exam_site": "東京都文京区本駒込2-28-8 IPAビル8階 第1試験室",
    "manager": "情報 太郎 教務部",
    "manager_deputy": "情報 花子",
    "electronic_keeper": "情報 花子 教務部",
    "printer": "情報 花子 教務部",
    "printed_keeper": "情報 花子 教務部",
    "storage_method": "鍵付きの金庫、鍵は情報太郎が管理",
    "exam_executive": "情報 太郎 教務部",
    "grading_lead": "情報 太郎 教務部",
}


def make_site(provider, exam_date=EXAM, **values):
    session = ExamSession.objects.get(exam_date=exam_date)
    return ExamSite.objects.create(provider=provider, session=session, **{**SITE_VALUES, **values})


def add_application(site, staff, applicants, submit=True):
    course = complete_course(site.provider, staff)
    delivery = course.delivery_courses.get()
    application = ExamApplication.objects.create(
        delivery_course=delivery, session=site.session, site=site, applicants=applicants
    )
    if submit:
        application.submit()
        application.save()
    return application


def req(measures, evidence=(), details="", certificate=None, pregnant=False):
    return SimpleNamespace(
        measures=list(measures),
        evidence=list(evidence),
        details=details,
        doctor_certificate_date=certificate,
        pregnant=pregnant,
    )


def pdf_text(data: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (Debian poppler-utils) is not installed: run `make system-deps`")
    result = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],
        input=data, capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    return result.stdout.decode("utf-8")


def pdf_pages(data: bytes, tmp_path) -> list[tuple[float, float]]:
    """The page sizes in points, from ``pdfinfo`` (poppler-utils, like pdftotext)."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    result = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "99", str(path)],
        capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", result.stdout.decode())
    return [(float(w), float(h)) for w, h in sizes]


# E5 — proctors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("examinees", "proctors"),
    [(1, 2), (100, 2), (101, 3), (150, 3), (151, 4), (200, 4), (201, 5), (250, 5), (251, 6),
     (300, 6), (301, 7)],
)  # fmt: skip
def test_e5_proctors_per_room_follow_table_6_1_1(examinees, proctors):
    assert examday.proctors_needed(examinees) == proctors


def test_e5_never_fewer_than_two_proctors_and_no_negative_counts():
    assert examday.proctors_needed(0) == 2  # M§6.1 c: 2 or more however few
    with pytest.raises(ValueError):
        examday.proctors_needed(-1)
    with pytest.raises(TypeError):
        examday.proctors_needed(10.5)


def test_e5_table_is_per_room():
    # 230 examinees in one room need 5; split 120 + 110 they need 3 + 3.
    assert examday.proctors_needed(230) == 5
    assert examday.proctors_for_rooms([120, 110]) == [3, 3]


# E6 — timetable --------------------------------------------------------------------------


def test_e6_normal_timetable_is_table_6_11_1():
    t = examday.timetable(extended=False, delay_minutes=0)
    assert (t["briefing"], t["start"], t["end"]) == (T(9, 15), T(9, 30), T(11, 0))
    assert t["duration_minutes"] == 90
    assert (t["entry_from"], t["entry_until"]) == (T(9, 30), T(10, 0))
    assert t["no_leaving"] == [(T(9, 30), T(10, 30)), (T(10, 50), T(11, 0))]


def test_e6_extended_timetable_is_table_7_1_1():
    t = examday.timetable(extended=True, delay_minutes=0)
    assert (t["briefing"], t["start"], t["end"]) == (T(9, 15), T(9, 30), T(11, 45))
    assert t["duration_minutes"] == 135
    assert t["entry_until"] == T(10, 0)
    assert t["no_leaving"] == [(T(9, 30), T(10, 30)), (T(11, 35), T(11, 45))]


def test_e6_delay_15_matches_the_example_of_table_6_12_2():
    t = examday.timetable(False, 15)
    assert (t["briefing"], t["start"], t["end"]) == (T(9, 30), T(9, 45), T(11, 15))
    assert (t["entry_from"], t["entry_until"]) == (T(9, 45), T(10, 0))
    assert t["no_leaving"] == [(T(9, 45), T(10, 45)), (T(11, 5), T(11, 15))]


def test_e6_delay_20_entry_still_closes_at_10_00():
    t = examday.timetable(False, 20)
    assert (t["start"], t["end"]) == (T(9, 50), T(11, 20))
    assert t["late_entry"] is True
    assert (t["entry_from"], t["entry_until"]) == (T(9, 50), T(10, 0))
    assert t["no_leaving"] == [(T(9, 50), T(10, 50)), (T(11, 10), T(11, 20))]
    assert t["text"]["entry"] == "9:50～10:00"


def test_e6_delay_29_still_lets_latecomers_in_until_10_00():
    t = examday.timetable(False, 29)
    assert t["late_entry"] is True and t["entry_until"] == T(10, 0)


@pytest.mark.parametrize(
    ("delay", "briefing", "start", "end", "no_leaving"),
    [
        (30, T(9, 45), T(10, 0), T(11, 30), [(T(10, 0), T(11, 0)), (T(11, 20), T(11, 30))]),
        (60, T(10, 15), T(10, 30), T(12, 0), [(T(10, 30), T(11, 30)), (T(11, 50), T(12, 0))]),
    ],
)
def test_e6_delay_30_or_more_no_entry_after_the_start(delay, briefing, start, end, no_leaving):
    t = examday.timetable(False, delay)
    assert (t["briefing"], t["start"], t["end"]) == (briefing, start, end)
    assert t["late_entry"] is False
    assert t["entry_from"] is None and t["entry_until"] is None
    assert t["no_leaving"] == no_leaving
    assert "試験開始後の入室不可" in t["text"]["entry"]


def test_e6_extended_time_with_a_delay_shifts_the_same_way():
    t = examday.timetable(True, 20)
    assert (t["briefing"], t["start"], t["end"]) == (T(9, 35), T(9, 50), T(12, 5))
    assert t["entry_until"] == T(10, 0)
    assert t["no_leaving"] == [(T(9, 50), T(10, 50)), (T(11, 55), T(12, 5))]
    t = examday.timetable(True, 60)
    assert (t["start"], t["end"]) == (T(10, 30), T(12, 45))
    assert t["entry_until"] is None
    assert t["no_leaving"] == [(T(10, 30), T(11, 30)), (T(12, 35), T(12, 45))]


@pytest.mark.parametrize("delay", [70, 61, -5, "20", None, True, 20.0])
def test_e6_invalid_delay_is_refused(delay):
    with pytest.raises(ValueError, match="0〜60分"):
        examday.timetable(False, delay)


# E7 — answer sheet and exam-day sheet ----------------------------------------------------


def test_e7_answer_choices_and_question_count():
    assert examday.ANSWER_CHOICES == "アイウエ"
    assert examday.QUESTION_COUNT == 60


def test_e7_answer_sheet_pdf_has_60_numbered_rows_of_a_i_u_e(provider_a, tmp_path):
    site = make_site(provider_a)
    data = examday_documents.render_answer_sheet(site)
    assert data.startswith(b"%PDF")
    pages = pdf_pages(data, tmp_path)
    assert len(pages) == 1
    assert pages[0] == pytest.approx((595.28, 841.89), abs=0.5)  # A4 portrait
    text = pdf_text(data)
    numbered = re.findall(r"問\s*(\d+)\s+ア\s+イ\s+ウ\s+エ", text)
    assert sorted(map(int, numbered)) == list(range(1, 61))
    flat = re.sub(r"\s+", "", text)
    assert "2024年12月8日（日）" in flat
    assert "IPAビル8階第1試験室" in flat
    assert "(20001)Ａ学園".replace("(", "（").replace(")", "）") in flat
    for label in ("実施講座番号", "実施講座名", "受験番号", "氏名"):
        assert label in flat
    # The same data renders the same bytes.
    assert examday_documents.render_answer_sheet(site) == data


def test_e7_examday_sheet_pdf_shows_timetables_proctors_and_measures(provider_a, staff_a, tmp_path):
    site = make_site(provider_a)
    add_application(site, staff_a, 120)
    SpecialMeasureRequest.objects.create(
        site=site, examinee_name="受験\u3000一郎", measures=["western_toilet"],
        evidence=[examday.HANDBOOK], decision="approved", decided_on=datetime.date(2024, 11, 1),
    )  # fmt: skip
    data = examday_documents.render_examday_sheet(site)
    assert all(p == pytest.approx((595.28, 841.89), abs=0.5) for p in pdf_pages(data, tmp_path))
    flat = re.sub(r"\s+", "", pdf_text(data))
    assert "9:30～11:00（90分間）" in flat
    assert "9:30～11:45（135分間）" in flat
    assert "①9:30～10:30②10:50～11:00" in flat
    assert "10:30～12:00" in flat and "試験開始後の入室不可" in flat  # the 60-minute row
    assert "120名" in flat and "3名" in flat  # 120 examinees → 3 proctors
    assert "受験一郎" in flat and "洋式トイレ" in flat and "認める" in flat


def test_e7_documents_registered_with_their_permissions(
    provider_a, provider_b, staff_a, staff_b, reviewer, outsider
):
    from django.contrib.auth.models import AnonymousUser

    answer, sheet = documents.get("answer_sheet"), documents.get("examday_sheet")
    assert (answer.model, sheet.model) == ("exams.ExamSite", "exams.ExamSite")
    assert (answer.extension, sheet.extension) == ("pdf", "pdf")
    assert answer.personal_data is False and sheet.personal_data is True
    site = make_site(provider_a)
    for doc in (answer, sheet):
        assert doc.can_download(staff_a, site)
        assert doc.can_download(reviewer, site)
        assert not doc.can_download(staff_b, site)
        assert not doc.can_download(outsider, site)
        assert not doc.can_download(AnonymousUser(), site)
    assert answer.filename(site).startswith("(20001)修了試験答案用紙_")


def test_e7_document_request_through_the_portal(
    client, provider_a, staff_a, staff_b, django_capture_on_commit_callbacks
):
    from portal.models import GeneratedDocument

    site = make_site(provider_a)
    client.force_login(staff_b)
    assert client.post(f"/documents/request/answer_sheet/{site.pk}/").status_code == 404
    client.force_login(staff_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/documents/request/answer_sheet/{site.pk}/")
    assert response.status_code == 302
    generated = GeneratedDocument.objects.get(doc_type="answer_sheet")
    generated.refresh_from_db()
    assert generated.status == GeneratedDocument.Status.DONE
    assert bytes(generated.content).startswith(b"%PDF")


# E10 — special measures ------------------------------------------------------------------


def test_e10_measures_cover_table_7_1():
    codes = [m.code for m in examday.MEASURES]
    assert len(codes) == len(set(codes)) == 16
    labels = {m.label for m in examday.MEASURES}
    for label in ("試験時間の延長", "問題冊子、答案用紙の変更", "代理記入", "タイプライタ又はワープロの持込み",
                  "監督員による介助", "付添者の試験時間中の入室", "車椅子", "洋式トイレ", "1階試験室",
                  "筆談", "座席（前方、明るい所）", "機器類の持込み", "補助犬の同伴", "その他"):  # fmt: skip
        assert label in labels
    assert examday.MEASURES_BY_CODE["hearing_aid_loupe"].evidence == ()
    assert "申込み期間開始日" in examday.MEASURES_BY_CODE["other"].note


def test_e10_certificate_window_is_the_exam_month_and_the_three_before():
    assert examday.certificate_window(JUNE) == (datetime.date(2024, 3, 1), JUNE)
    # Across the year end: a January exam accepts certificates from 1 October.
    assert examday.certificate_window(datetime.date(2025, 1, 26)) == (
        datetime.date(2024, 10, 1),
        datetime.date(2025, 1, 26),
    )


@pytest.mark.parametrize(
    ("certificate", "ok"),
    [
        (datetime.date(2024, 1, 15), False),  # 5 months before the exam month
        (datetime.date(2024, 2, 10), False),  # < 4 months by days, but outside the 4 months
        (datetime.date(2024, 2, 29), False),  # last day before the window
        (datetime.date(2024, 3, 1), True),  # first day of the window
        (datetime.date(2024, 3, 15), True),  # 3 months before the exam month
        (datetime.date(2024, 6, 9), True),  # the exam day
        (datetime.date(2024, 6, 10), False),  # after the exam
    ],
)
def test_e10_doctors_certificate_must_cover_the_exam_month_within_4_months(certificate, ok):
    problems = examday.evidence_problems(
        req(["booklet"], [examday.DOCTOR], certificate=certificate), JUNE, datetime.date(2024, 5, 8)
    )
    assert (problems == []) is ok
    if not ok:
        assert "医師の診断書の作成日" in problems[0]


def test_e10_certificate_boundary_across_the_year_end():
    january = datetime.date(2025, 1, 26)
    ok = req(["ground_floor"], [examday.DOCTOR], certificate=datetime.date(2024, 10, 1))
    late = req(["ground_floor"], [examday.DOCTOR], certificate=datetime.date(2024, 9, 30))
    assert examday.evidence_problems(ok, january, None) == []
    assert examday.evidence_problems(late, january, None)


def test_e10_certificate_without_date_or_stale_but_covered_by_handbook():
    # A stale certificate does not count, but a handbook copy covers the measure.
    stale = req(
        ["booklet"], [examday.DOCTOR, examday.HANDBOOK], certificate=datetime.date(2023, 1, 1)
    )
    assert examday.evidence_problems(stale, JUNE, None) == []
    undated = req(["booklet"], [examday.DOCTOR])
    assert (
        "「医師の診断書の作成日」を入力してください"
        in examday.evidence_problems(undated, JUNE, None)[0]
    )


def test_e10_extended_time_needs_the_handbook_or_the_ipa_form_for_dd():
    assert examday.evidence_problems(req(["extended_time"]), JUNE, None) == [
        "「試験時間の延長」：身体障害者手帳のコピー（氏名、障害程度の等級及び障害名の分かるページ）が必要です（表7-1）。"
    ]
    plain = req(["extended_time_dd"], [examday.DOCTOR], certificate=datetime.date(2024, 5, 1))
    assert examday.evidence_problems(plain, JUNE, None)  # ※4: IPA所定の書式
    ipa = req(
        ["extended_time_dd"], [examday.DOCTOR_IPA_FORM], certificate=datetime.date(2024, 5, 1)
    )
    assert examday.evidence_problems(ipa, JUNE, None) == []


def test_e10_pregnancy_needs_the_maternal_handbook_for_every_measure():
    problems = examday.evidence_problems(
        req(["western_toilet"], [examday.HANDBOOK], pregnant=True), JUNE, None
    )
    assert any("母子健康手帳" in p for p in problems)
    # ※1: for the measures a pregnancy justifies it is the document asked for …
    assert (
        examday.evidence_problems(
            req(["western_toilet", "front_seat"], [examday.MATERNITY], pregnant=True), JUNE, None
        )
        == []
    )
    # … also for the hearing aid that otherwise needs no document …
    assert examday.evidence_problems(
        req(["hearing_aid_loupe"], details="補聴器 ABC-123", pregnant=True), JUNE, None
    ) == [
        "妊娠中の方は、特別措置の全項目で母子健康手帳のコピー（氏名の分かるページ）が必要です（表7-1 ※1）。"
    ]
    # … but extended time still needs the disability handbook (M§7.1.1).
    problems = examday.evidence_problems(
        req(["extended_time"], [examday.MATERNITY], pregnant=True), JUNE, None
    )
    assert len(problems) == 1 and "身体障害者手帳" in problems[0]


def test_e10_details_and_conditions_of_table_7_1():
    wheelchair = req(["wheelchair"], [examday.HANDBOOK])
    assert "車椅子情報" in examday.evidence_problems(wheelchair, JUNE, None)[0]
    wheelchair.details = "電動、全幅60cm 全長100cm 全高90cm 座面高45cm"
    assert examday.evidence_problems(wheelchair, JUNE, None) == []
    # Proxy writing and the word processor only with extended time (M§7.3, M§7.4).
    proxy = req(["proxy_writing"], [examday.HANDBOOK])
    assert "試験時間の延長が認められた方" in examday.evidence_problems(proxy, JUNE, None)[0]
    proxy.measures.append("extended_time")
    assert examday.evidence_problems(proxy, JUNE, None) == []
    # Hearing aids and loupes: no document, but name and model (M§7.12.1).
    assert examday.evidence_problems(req(["hearing_aid_loupe"]), JUNE, None)
    assert (
        examday.evidence_problems(req(["hearing_aid_loupe"], details="ルーペ X-1"), JUNE, None)
        == []
    )


def test_e10_other_must_reach_ipa_by_the_start_of_the_application_window():
    opens = datetime.date(2024, 5, 8)
    other = req(["other"], [examday.HANDBOOK])
    before = examday.evidence_problems(other, JUNE, opens, today=datetime.date(2024, 5, 1))
    assert before == [
        "「その他」の措置は、修了試験の申込み期間開始日（2024年5月8日）までにIPAに電子メールで問い合わせてください（M§7.14）。"
    ]
    after = examday.evidence_problems(other, JUNE, opens, today=datetime.date(2024, 5, 9))
    assert "連絡済みの記録がありません" in after[0]
    other.evidence.append(examday.IPA_CONTACTED)
    assert examday.evidence_problems(other, JUNE, opens, today=datetime.date(2024, 5, 9)) == []


def test_e10_no_measure_chosen():
    assert examday.evidence_problems(req([]), JUNE, None) == [
        "「希望する特別措置」を1つ以上選択してください。"
    ]


# Pages -----------------------------------------------------------------------------------


def url_site(site):
    return f"/exam-sites/{site.pk}/examday/"


def url_new(site):
    return f"/exam-sites/{site.pk}/examday/special-measures/new/"


def url_edit(site, measure):
    return f"/exam-sites/{site.pk}/examday/special-measures/{measure.pk}/"


@pytest.fixture
def site_a(provider_a):
    return make_site(provider_a)


@pytest.fixture
def measure_a(site_a):
    return SpecialMeasureRequest.objects.create(
        site=site_a, examinee_name="受験\u3000花子", measures=["front_seat"]
    )


def test_e10_pages_own_staff_200_other_provider_404_anonymous_login(
    client, site_a, measure_a, staff_a, staff_b, reviewer, ipa_admin, outsider
):
    urls = [url_site(site_a), url_new(site_a), url_edit(site_a, measure_a)]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(staff_a)
    assert [client.get(u).status_code for u in urls] == [200, 200, 200]
    client.force_login(staff_b)
    assert [client.get(u).status_code for u in urls] == [404, 404, 404]
    client.force_login(reviewer)  # IPA staff read; edits are the provider's
    assert [client.get(u).status_code for u in urls] == [200, 403, 403]
    client.force_login(ipa_admin)
    assert [client.get(u).status_code for u in urls] == [200, 403, 403]
    client.force_login(outsider)
    assert [client.get(u).status_code for u in urls] == [403, 403, 403]
    # A measure of another site of the same provider is not reachable through this site.
    other = make_site(site_a.provider, exam_date=JUNE)
    client.force_login(staff_a)
    assert client.get(url_edit(other, measure_a)).status_code == 404


def test_e6_page_shows_the_delayed_timetable_and_refuses_invalid_delays(client, site_a, staff_a):
    client.force_login(staff_a)
    page = client.get(url_site(site_a)).content.decode()
    assert "9:30～11:00（90分間）" in page and "9:30～11:45（135分間）" in page
    page = client.get(url_site(site_a), {"delay": 20}).content.decode()
    assert "9:50～11:20（90分間）" in page and "9:50～10:00" in page
    page = client.get(url_site(site_a), {"delay": 30}).content.decode()
    assert "10:00～11:30（90分間）" in page and "試験開始後の入室不可" in page
    for bad in ("70", "7", "abc", "-10"):
        response = client.get(url_site(site_a), {"delay": bad})
        assert response.status_code == 200
        page = response.content.decode()
        assert "「試験開始時刻の繰り下げ」は0〜60分の範囲で、5分単位で指定してください" in page
        assert "9:30～11:00（90分間）" in page  # falls back to no delay


def test_e5_page_counts_submitted_applicants_and_splits_rooms(client, site_a, staff_a):
    add_application(site_a, staff_a, 230)
    client.force_login(staff_a)
    response = client.get(url_site(site_a))
    assert response.context["applicants"] == 230 and response.context["proctors"] == 5
    response = client.get(url_site(site_a), {"rooms": "120、110"})
    assert [r["proctors"] for r in response.context["rooms"]["rows"]] == [3, 3]
    assert response.context["rooms"]["mismatch"] is False
    response = client.get(url_site(site_a), {"rooms": "12x"})
    assert "半角数字" in response.content.decode()
    # The document panel offers both documents to the own staff.
    assert [e["doc"].id for e in response.context["documents"]] == ["examday_sheet", "answer_sheet"]


def form_data(**values):
    data = {"examinee_name": "受験\u3000太郎", "measures": ["extended_time"], "evidence": [],
            "details": "", "doctor_certificate_date": "", "decision": "", "decided_on": "", "note": ""}  # fmt: skip
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


def test_e10_approval_is_refused_while_evidence_is_missing(client, site_a, staff_a):
    client.force_login(staff_a)
    response = client.post(url_new(site_a), form_data(decision="approved"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "「判断」を「認める」にできません" in page
    assert "身体障害者手帳のコピー" in page
    assert not SpecialMeasureRequest.objects.exists()

    # Saved undecided with the warning, audited.
    response = client.post(url_new(site_a), form_data())
    assert response.status_code == 302
    measure = SpecialMeasureRequest.objects.get()
    entry = AuditEntry.objects.get(action="special_measure.create")
    assert entry.actor == staff_a and entry.object_id == str(measure.pk)
    assert entry.changes["measures"] == [None, ["extended_time"]]

    # With the handbook copy the approval is recorded, dated today.
    response = client.post(
        url_edit(site_a, measure),
        form_data(evidence=[examday.HANDBOOK], decision="approved"),
    )
    assert response.status_code == 302
    measure.refresh_from_db()
    assert measure.decision == "approved" and measure.decided_on is not None
    entry = AuditEntry.objects.get(action="special_measure.update")
    assert entry.actor == staff_a
    assert entry.changes["decision"] == ["", "approved"]


def test_e10_approval_refused_with_a_stale_doctors_certificate(client, site_a, staff_a):
    client.force_login(staff_a)
    data = form_data(
        measures=["booklet"], evidence=[examday.DOCTOR], decision="approved",
        doctor_certificate_date="2024-07-31",  # December exam: window starts 1 September
    )  # fmt: skip
    response = client.post(url_new(site_a), data)
    assert response.status_code == 200
    assert "医師の診断書の作成日" in response.context["form"].errors["doctor_certificate_date"][0]
    data["doctor_certificate_date"] = "2024-09-01"
    assert client.post(url_new(site_a), data).status_code == 302
    assert SpecialMeasureRequest.objects.get().decision == "approved"


def test_e10_rejection_and_pregnancy_on_the_form(client, site_a, staff_a):
    client.force_login(staff_a)
    data = form_data(measures=["ground_floor"], pregnant="on", decision="approved")
    response = client.post(url_new(site_a), data)
    assert response.status_code == 200
    assert "母子健康手帳" in response.content.decode()
    data["decision"] = "rejected"  # refusing needs no evidence
    assert client.post(url_new(site_a), data).status_code == 302
    assert SpecialMeasureRequest.objects.get().decision == "rejected"


def test_e10_delivery_course_choices_are_the_sites_own(
    client, site_a, staff_a, provider_b, staff_b
):
    own = add_application(site_a, staff_a, 10).delivery_course
    foreign_site = make_site(provider_b)
    foreign = add_application(foreign_site, staff_b, 10).delivery_course
    client.force_login(staff_a)
    response = client.get(url_new(site_a))
    choices = list(response.context["form"].fields["delivery_course"].queryset)
    assert choices == [own]
    response = client.post(
        url_new(site_a), form_data(delivery_course=str(foreign.pk), evidence=[examday.HANDBOOK])
    )
    assert response.status_code == 200
    assert response.context["form"].errors["delivery_course"] == [
        "「実施講座」の選択肢が正しくありません。"
    ]
