"""The exam day's rules (E5, E6, E10), pure (no database): proctors
(:func:`proctors_needed`), the timetable (:func:`timetable`), the special
measures (:data:`MEASURES`) and their evidence (:func:`evidence_problems`).
The two exam-day documents are in ``exams.examday.documents``.

Readings of the manual (M = 事務運用マニュアル 2024年度 1.0版) that are not
obvious are written down where they are encoded; the report to the lead
repeats them.
"""

import datetime
from dataclasses import dataclass, field

# E5 — proctors per room (M§6.1, 表6.1-1) -----------------------------------------------

MIN_PROCTORS = 2  # M§6.1 c: 少人数の受験者数であっても2名以上


def proctors_needed(examinees: int) -> int:
    """E5: proctors for one exam room (表6.1-1): 1–100 examinees 2, 101–150 3,
    151–200 4, from 201 one more per (started) 50 examinees: 201–250 5,
    251–300 6, …

    0 examinees: 2. The table starts at 1, but M§6.1 c asks for 2 or more
    proctors however few the examinees, and a room that is prepared before
    the numbers are known (or whose examinees all stay away) is still staffed
    — so the minimum applies, the function never answers fewer than 2."""
    if isinstance(examinees, bool) or not isinstance(examinees, int):
        raise TypeError("examinees must be an int")
    if examinees < 0:
        raise ValueError("受験者数は0以上の整数で指定してください。")
    if examinees <= 100:
        return MIN_PROCTORS
    # 101–150 → +1, 151–200 → +2, 201–250 → +3: one more per started 50 above 100.
    return MIN_PROCTORS + -(-(examinees - 100) // 50)


def proctors_for_rooms(room_examinees: list[int]) -> list[int]:
    """E5 per room: the table is per exam room (試験室における…), so a site
    with several rooms staffs each room on its own."""
    return [proctors_needed(n) for n in room_examinees]


# E6 — timetable (表6.11-1, 表7.1-1, M§6.12) --------------------------------------------

START = datetime.time(9, 30)
ENTRY_CLOSES = datetime.time(10, 0)  # M§6.12.1 ②: 入室可能時間は変更しない
BRIEFING_BEFORE = 15  # 試験開始前15分間
NORMAL_MINUTES = 90
EXTENDED_MINUTES = 135  # ×1.5 (M§7.1)
NO_LEAVING_AFTER_START = 60  # ① 試験開始後60分間
NO_LEAVING_BEFORE_END = 10  # ② 試験終了前10分間
MAX_DELAY = 60  # M§6.12: 最大60分の繰り下げ
NO_ENTRY_DELAY = 30  # M§6.12.1 ②: 30分以上の繰り下げでは試験開始後の入室不可
DELAY_STEP = 5  # the page's selector (the manual allows any minute up to 60)
DELAY_CHOICES = tuple(range(0, MAX_DELAY + 1, DELAY_STEP))
SHEET_DELAYS = (0, 10, 20, 30, 40, 50, 60)  # the table printed on the exam-day sheet
DELAY_ERROR = (
    "「試験開始時刻の繰り下げ」は0〜60分の範囲で指定してください"
    "（局所的な災害時は会場全体で最大60分まで、M§6.12）。"
)


def _shift(t: datetime.time, minutes: int) -> datetime.time:
    total = t.hour * 60 + t.minute + minutes
    return datetime.time(total // 60, total % 60)


def hm(t: datetime.time | None) -> str:
    """``9:30`` as the manual writes times (no leading zero)."""
    return f"{t.hour}:{t.minute:02d}" if t else ""


def validate_delay(delay_minutes) -> int:
    """M§6.12: the start may be put back by 0 to 60 minutes; anything else
    raises ValueError with a Japanese message."""
    if isinstance(delay_minutes, bool) or not isinstance(delay_minutes, int):
        raise ValueError(DELAY_ERROR)
    if not 0 <= delay_minutes <= MAX_DELAY:
        raise ValueError(DELAY_ERROR)
    return delay_minutes


def timetable(extended: bool, delay_minutes: int = 0) -> dict:
    """E6: the times of one exam day for normal (90 min, 表6.11-1) or extended
    time (135 min, 表7.1-1), with the whole site's start put back by
    ``delay_minutes`` (M§6.12, 表6.12-2):

    * briefing 15 min before the start; the end is start + duration;
    * entry (入室可能時間) closes at 10:00 whatever the delay (M§6.12.1 ②):
      from the start until 10:00 when the delay is under 30 minutes, and no
      entry after the start at all when it is 30 minutes or more
      (``entry_until`` is then None);
    * the no-leaving periods shift with the start (M§6.12.1 ③): the first 60
      minutes after the start and the last 10 minutes before the end.

    Extended-time examinees sit in the same site, so the delay applies to them
    as well (the manual delays 会場全体)."""
    delay = validate_delay(delay_minutes)
    duration = EXTENDED_MINUTES if extended else NORMAL_MINUTES
    start = _shift(START, delay)
    end = _shift(start, duration)
    late_entry = delay < NO_ENTRY_DELAY
    entry_until = ENTRY_CLOSES if late_entry else None
    no_leaving = [
        (start, _shift(start, NO_LEAVING_AFTER_START)),
        (_shift(end, -NO_LEAVING_BEFORE_END), end),
    ]
    return {
        "extended": bool(extended),
        "delay_minutes": delay,
        "duration_minutes": duration,
        "briefing": _shift(start, -BRIEFING_BEFORE),
        "start": start,
        "end": end,
        "late_entry": late_entry,
        "entry_from": start if late_entry else None,
        "entry_until": entry_until,
        "no_leaving": no_leaving,
        "text": {
            "kind": "試験時間延長（1.5倍）" if extended else "通常",
            "delay": f"{delay}分繰り下げ" if delay else "繰り下げなし",
            "briefing": hm(_shift(start, -BRIEFING_BEFORE)),
            "exam": f"{hm(start)}～{hm(end)}（{duration}分間）",
            "range": f"{hm(start)}～{hm(end)}",
            "entry": (
                f"{hm(start)}～{hm(entry_until)}"
                if late_entry
                else "試験開始後の入室不可（30分以上の繰り下げ）"
            ),
            "no_leaving": [f"{hm(a)}～{hm(b)}" for a, b in no_leaving],
        },
    }


# E7 — answer sheet (表6.7-1) ------------------------------------------------------------

QUESTION_COUNT = 60
ANSWER_CHOICES = "アイウエ"
ANSWER_SHEET_COLUMNS = 3  # 3 columns of 20 questions fit one A4 page


# E10 — special measures (M§7, 表7-1) ---------------------------------------------------

HANDBOOK = "disability_handbook"
DOCTOR = "doctor_certificate"
DOCTOR_IPA_FORM = "doctor_certificate_ipa_form"
MATERNITY = "maternity_handbook"
IPA_CONTACTED = "ipa_contacted"

EVIDENCE = {
    HANDBOOK: "身体障害者手帳のコピー（氏名、障害程度の等級及び障害名の分かるページ）",
    DOCTOR: "医師の診断書（原本）",
    DOCTOR_IPA_FORM: "医師の診断書（原本、IPA所定の最新の書式）",
    MATERNITY: "母子健康手帳のコピー（氏名の分かるページ）",
    IPA_CONTACTED: "IPAへの連絡（修了試験の申込み期間開始日までに電子メールで問合せ済み）",
}
EVIDENCE_CHOICES = list(EVIDENCE.items())
CERTIFICATE_MONTHS = 4  # ※3: 対象とする修了試験の月を含む4ヶ月以内

EITHER = ((HANDBOOK,), (DOCTOR,))  # 身体障害者手帳のコピー 又は 医師の診断書（原本）


@dataclass(frozen=True)
class Measure:
    code: str
    label: str
    # Alternatives of required evidence; each alternative is a tuple of codes
    # that are all needed. Empty: no document needed (表7-1 "—").
    evidence: tuple[tuple[str, ...], ...]
    details: str = ""  # what must be submitted in addition (表7-1 備考)
    details_required: bool = False
    note: str = ""
    needs_extended_time: bool = False  # M§7.3 ②, M§7.4 ②
    section: str = ""
    keywords: tuple[str, ...] = field(default=())

    @property
    def evidence_text(self) -> str:
        if not self.evidence:
            return "不要"
        return " 又は ".join("と".join(EVIDENCE[c] for c in alt) for alt in self.evidence)


# Table 7-1 as printed has merged cells in the 必要書類 column that the text
# version flattens. Read with the conditions of M§7.1–7.14:
# * 試験時間の延長: 身体障害者手帳のコピー (the disabilities of M§7.1.1);
#   発達障害: 医師の診断書（原本, IPA所定の書式, ※3 ※4).
# * 代理記入: 身体障害者手帳のコピー 又は 医師の診断書 (the cell it shares
#   with 問題冊子の変更); it is only for examinees granted extended time
#   (M§7.3 ②), so the extended-time evidence is checked through that measure.
# * タイプライタ又はワープロ: 身体障害者手帳のコピー (its own cell; also only
#   with extended time, M§7.4 ②).
# * 監督員による介助 … その他: 身体障害者手帳のコピー 又は 医師の診断書
#   (one merged cell).
# * 補聴器・ルーペ: "—" (M§7.12.1: neither document is needed), only the
#   product name and model.
MEASURES: tuple[Measure, ...] = (
    Measure("extended_time", "試験時間の延長", ((HANDBOOK,),), section="7.1",
            note="試験時間を1.5倍（135分間）に延長します。対象はM§7.1.1の障害（視覚障害1〜3級など）です。"),
    Measure("extended_time_dd", "試験時間の延長（発達障害）", ((DOCTOR_IPA_FORM,),), section="7.1.1 ⑧",
            note="IPA所定の診断書（最新の書式）が必要です。書式はIPAに電子メールで問い合わせてください（※4）。"),
    Measure("booklet", "問題冊子、答案用紙の変更", EITHER, section="7.2",
            note="拡大問題冊子、白黒反転問題冊子、拡大答案用紙、白紙答案用紙など。"),
    Measure("proxy_writing", "代理記入", EITHER, section="7.3",
            details="付添者を介して解答する場合は、付添者の氏名と介助内容",
            needs_extended_time=True,
            note="受験者が口頭で伝えた解答を監督員が記入します。手書きが困難で、試験時間の延長が認められた方が対象です。"),
    Measure("word_processor", "タイプライタ又はワープロの持込み", ((HANDBOOK,),), section="7.4",
            details="型番、必要な電源の数", details_required=True, needs_extended_time=True,
            note="答案用紙が使えず、試験時間の延長が認められた方が対象です。文字入力以外の機能は使用禁止です。"),
    Measure("assistance", "監督員による介助", EITHER, section="7.5",
            details="介助内容", details_required=True,
            note="試験室内・試験時間中の一時的な介助に限ります。"),
    Measure("attendant", "付添者の試験時間中の入室", EITHER, section="7.6",
            details="付添者の入室を必要とする介助内容、付添者の氏名", details_required=True,
            note="監督員では行えない介助を必要とする場合に限ります。"),
    Measure("wheelchair", "車椅子", EITHER, section="7.7",
            details="車椅子情報（種別（電動／手動）、サイズ（全幅・全長・全高・座面高））",
            details_required=True),
    Measure("western_toilet", "洋式トイレ", EITHER, section="7.8"),
    Measure("ground_floor", "1階試験室", EITHER, section="7.9",
            note="エレベータがあれば2階以上の試験室も可能です。"),
    Measure("written_communication", "筆談", EITHER, section="7.10",
            note="筆談用の用紙と、口頭の注意事項を書面にしたものを用意します。"),
    Measure("front_seat", "座席（前方、明るい所）", EITHER, section="7.11"),
    Measure("devices", "機器類の持込み", EITHER, section="7.12.2/7.12.3",
            details="商品名、型番、必要電源数", details_required=True,
            note="拡大読書器、書見台、医療器具など。画像の保存機能がない機器に限ります。"),
    Measure("hearing_aid_loupe", "補聴器（人工内耳を含む）、ルーペ（電子ルーペを含む）", (),
            section="7.12.1", details="商品名、型番", details_required=True,
            note="身体障害者手帳・医師の診断書は不要です。無線通信機能のない補聴器、画像保存機能のないルーペに限ります。"),
    Measure("assistance_dog", "補助犬の同伴", EITHER, section="7.13"),
    Measure("other", "その他", EITHER, section="7.14",
            note="7.1〜7.13に当たらない措置は、修了試験の申込み期間開始日までにIPAに電子メールで問い合わせてください。"),
)  # fmt: skip
MEASURES_BY_CODE = {m.code: m for m in MEASURES}
MEASURE_CHOICES = [(m.code, m.label) for m in MEASURES]
EXTENDED_TIME_CODES = ("extended_time", "extended_time_dd")


def japanese_date(day: datetime.date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def certificate_window(exam_date: datetime.date) -> tuple[datetime.date, datetime.date]:
    """※3: a doctor's certificate must be 「対象とする修了試験の月を含む4ヶ月以内
    のもの」. Read as four calendar months that include the exam month: the
    exam month and the three before it, i.e. from the 1st of the month three
    months before the exam month (June exam → 1 March). The count is by
    calendar month, not by days back from the exam date (a certificate of
    10 February is refused for a 9 June exam, although it is less than four
    months before it by days). The window ends on the exam date: the
    provider decides before the exam, so a later date is an error."""
    index = exam_date.year * 12 + exam_date.month - 1 - (CERTIFICATE_MONTHS - 1)
    return datetime.date(index // 12, index % 12 + 1, 1), exam_date


def certificate_problem(
    certificate_date: datetime.date | None, exam_date: datetime.date
) -> str | None:
    """Why the doctor's certificate does not count (※3), or None."""
    if certificate_date is None:
        return "「医師の診断書の作成日」を入力してください（診断書は修了試験の月を含む4か月以内のもの、表7-1 ※3）。"
    first, last = certificate_window(exam_date)
    if first <= certificate_date <= last:
        return None
    if certificate_date > last:
        return (
            f"「医師の診断書の作成日」（{japanese_date(certificate_date)}）が修了試験の実施日"
            f"（{japanese_date(exam_date)}）より後です。"
        )
    return (
        f"「医師の診断書の作成日」（{japanese_date(certificate_date)}）は、対象とする修了試験の月"
        f"（{exam_date.year}年{exam_date.month}月）を含む4か月以内（{japanese_date(first)}〜"
        f"{japanese_date(last)}）ではありません。この診断書では審査できません（表7-1 ※3）。"
    )


def _satisfied(alternatives, evidence: set[str]) -> bool:
    return not alternatives or any(all(c in evidence for c in alt) for alt in alternatives)


def evidence_problem_fields(
    request_like,
    exam_date: datetime.date,
    application_opens_on: datetime.date | None,
    *,
    today: datetime.date | None = None,
) -> list[tuple[str, str]]:
    """E10: [(form field, message)] of what is missing for the measures asked
    for (表7-1). ``request_like`` has ``measures``, ``evidence`` (lists of
    codes), ``details``, ``doctor_certificate_date`` and ``pregnant``."""
    problems: list[tuple[str, str]] = []
    codes = list(getattr(request_like, "measures", None) or [])
    if not codes:
        return [("measures", "「希望する特別措置」を1つ以上選択してください。")]
    unknown = [c for c in codes if c not in MEASURES_BY_CODE]
    problems += [
        ("measures", f"「希望する特別措置」に不明な項目（{c}）があります。") for c in unknown
    ]
    measures = [MEASURES_BY_CODE[c] for c in codes if c in MEASURES_BY_CODE]

    submitted = set(getattr(request_like, "evidence", None) or [])
    if DOCTOR_IPA_FORM in submitted:  # the IPA form is a doctor's certificate too
        submitted.add(DOCTOR)
    valid = set(submitted)
    cert_issue = None
    if DOCTOR in submitted:
        cert_issue = certificate_problem(
            getattr(request_like, "doctor_certificate_date", None), exam_date
        )
        if cert_issue:
            valid -= {DOCTOR, DOCTOR_IPA_FORM}

    # ※1: a pregnant examinee hands in the copy of the 母子健康手帳 for every
    # measure. It takes the place of "身体障害者手帳 又は 医師の診断書" (the
    # measures a pregnancy can justify); where the table names one specific
    # document (extended time and the word processor, both tied to the
    # disabilities of M§7.1.1) that document is still needed.
    pregnant = bool(getattr(request_like, "pregnant", False))
    if pregnant and MATERNITY not in submitted:
        problems.append(
            ("evidence", "妊娠中の方は、特別措置の全項目で母子健康手帳のコピー（氏名の分かるページ）が必要です（表7-1 ※1）。")
        )  # fmt: skip

    cert_needed = False
    for m in measures:
        ok = _satisfied(m.evidence, valid)
        if not ok and pregnant and MATERNITY in submitted and m.evidence == EITHER:
            ok = True
        if not ok:
            if cert_issue and _satisfied(m.evidence, submitted):
                cert_needed = True
            problems.append(("evidence", f"「{m.label}」：{m.evidence_text}が必要です（表7-1）。"))
        if m.details_required and not (getattr(request_like, "details", "") or "").strip():
            problems.append(
                ("details", f"「{m.label}」：{m.details}を「追加で提出された内容」に入力してください（表7-1）。")
            )  # fmt: skip
        if m.needs_extended_time and not any(c in codes for c in EXTENDED_TIME_CODES):
            problems.append(
                ("measures", f"「{m.label}」は試験時間の延長が認められた方が対象です（M§{m.section}）。「試験時間の延長」も申請に含めてください。")
            )  # fmt: skip
        if m.code == "other" and IPA_CONTACTED not in submitted:
            opens = (
                japanese_date(application_opens_on) if application_opens_on else "申込み期間開始日"
            )
            if today and application_opens_on and today > application_opens_on:
                message = (
                    f"「その他」の措置は修了試験の申込み期間開始日（{opens}）までにIPAへの連絡が必要でしたが、"
                    "連絡済みの記録がありません（M§7.14）。"
                )
            else:
                message = (
                    f"「その他」の措置は、修了試験の申込み期間開始日（{opens}）までにIPAに電子メールで"
                    "問い合わせてください（M§7.14）。"
                )
            problems.append(("evidence", message))
    # The certificate's date matters only where the certificate is what the
    # measures rely on; a stale one beside a valid handbook copy blocks nothing.
    if cert_needed:
        problems.insert(0, ("doctor_certificate_date", cert_issue))
    return problems


def evidence_problems(
    request_like,
    exam_date: datetime.date,
    application_opens_on: datetime.date | None,
    *,
    today: datetime.date | None = None,
) -> list[str]:
    """E10: what is missing before the provider can grant the measures asked
    for (表7-1, ※1–※4, M§7.14). Empty when the request is complete."""
    return [
        message
        for _, message in evidence_problem_fields(
            request_like, exam_date, application_opens_on, today=today
        )
    ]


def measure_labels(codes) -> list[str]:
    return [MEASURES_BY_CODE[c].label if c in MEASURES_BY_CODE else c for c in codes or []]
