"""The exam day of one exam site (E5, E6, E7, E10): proctors, timetable,
answer sheet and special measures.

* ``rules``: the pure rules (proctors per room, the timetable with the delay
  of M§6.12, the special measures and their evidence);
* ``documents``: the answer sheet and the exam-day sheet (PDF);
* ``forms``, ``views``, ``urls``: the exam-day pages of a site.

The special-measure requests themselves are ``exams.models.SpecialMeasureRequest``.
Readings of the manual (M = 事務運用マニュアル 2024年度 1.0版) that are not
obvious are written down where they are encoded.
"""
