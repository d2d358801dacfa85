"""Checking a 認定証 (C12) from outside: the verification code printed on it
with a QR code of its verification page, and what that page shows.

* Every issued version (IssuedCertificate: 認定 and each 再発行) has its own
  code: 12 characters of an alphabet without look-alikes (no I, O, 0, 1),
  printed in groups of four (``ABCD-EFGH-JKLM``), random (``secrets``, 60
  bits: not guessable), unique in the database.
* :func:`lookup` answers a typed or scanned code with what anyone may read
  on the certificate anyway — the document number, provider, course,
  certification and end dates — and its current status (有効 / 期間満了 /
  取消し, courses.registry.certification_status), the issue date and version,
  whether a reissue superseded it, and the SHA-256 of the stored PDF;
  an unknown or malformed code gives None and nothing else.
* :func:`compare_checksum` tells whether a copy (its bytes or a typed
  SHA-256) is the issued PDF; the copy is hashed, never stored.
* :func:`allow_lookup` limits the lookups of one client address.
"""

import datetime
import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from courses import registry as course_registry
from courses.rules import CertificationStatus
from portal import throttle

from .models import VERIFICATION_ALPHABET as ALPHABET
from .models import VERIFICATION_CODE_LENGTH as CODE_LENGTH
from .models import IssuedCertificate
from .models import new_verification_code as new_code

_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―ー－]")


def unique_code() -> str:
    """A code no issued certificate has (a clash of 60 random bits is
    practically impossible; the unique constraint is the last word)."""
    while True:
        code = new_code()
        if not IssuedCertificate.objects.filter(verification_code=code).exists():
            return code


def display_code(code: str) -> str:
    """``ABCDEFGHJKLM`` → ``ABCD-EFGH-JKLM`` (as printed)."""
    return IssuedCertificate(verification_code=code).display_verification_code


def normalize(text: str) -> str | None:
    """The stored form of a typed code: full-width letters and digits made
    half-width, lower case made upper, hyphens and spaces dropped. None when
    what is left cannot be a code."""
    code = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text or "")).upper()
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def verification_path(code: str) -> str:
    return reverse("certificate_verify", args=[display_code(code)])


def verification_url(code: str) -> str:
    """The absolute URL printed as a QR code on the certificate."""
    return settings.SITE_URL.rstrip("/") + verification_path(code)


@dataclass(frozen=True)
class Verification:
    """What the verification page shows for a known code."""

    code: str
    document_number: str
    provider_number: str
    provider_name: str
    course_number: str
    course_name: str
    certified_on: datetime.date | None
    valid_until: datetime.date | None
    revoked_on: datetime.date | None
    status: str
    issued_on: datetime.date
    version: int
    kind_label: str
    checksum: str
    superseded_on: datetime.date | None = None  # the reissue that replaced this version
    superseded_version: int | None = None

    @property
    def status_label(self) -> str:
        return CertificationStatus.LABELS[self.status]

    @property
    def valid(self) -> bool:
        return self.status == CertificationStatus.VALID

    @property
    def revoked(self) -> bool:
        return self.status == CertificationStatus.REVOKED

    @property
    def display_code(self) -> str:
        return display_code(self.code)


def lookup(text: str, today: datetime.date) -> Verification | None:
    """The verification of a typed or scanned code, or None (unknown or
    malformed alike)."""
    code = normalize(text)
    if code is None:
        return None
    issued = (
        IssuedCertificate.objects.defer("content", "data")
        .select_related("course__provider")
        .filter(verification_code=code)
        .first()
    )
    if issued is None:
        return None
    course = issued.course
    newer = (
        course.issued_certificates.filter(version__gt=issued.version)
        .order_by("-version")
        .values("version", "issued_on")
        .first()
    )
    return Verification(
        code=code,
        document_number=issued.document_number,
        provider_number=course.provider.number,
        provider_name=course.provider.name,
        course_number=course.number,
        course_name=course.name,
        certified_on=course.certified_on,
        valid_until=course.valid_until,
        revoked_on=course.revoked_on,
        status=course_registry.certification_status(course, today),
        issued_on=issued.issued_on,
        version=issued.version,
        kind_label=issued.get_kind_display(),
        checksum=issued.checksum,
        superseded_on=newer["issued_on"] if newer else None,
        superseded_version=newer["version"] if newer else None,
    )


SHA256 = re.compile(r"^[0-9a-f]{64}$")


def checksum_of_upload(upload) -> str:
    """The SHA-256 of an uploaded copy, read in chunks (nothing is kept)."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    return digest.hexdigest()


def normalize_checksum(text: str) -> str | None:
    """A typed SHA-256: 64 hexadecimal digits, spaces, colons and case aside."""
    value = re.sub(r"[\s:]", "", unicodedata.normalize("NFKC", text or "")).lower()
    return value if SHA256.match(value) else None


def compare_checksum(verification: Verification, checksum: str) -> bool:
    """一致 (True) / 不一致 (False)."""
    return hmac.compare_digest(verification.checksum, checksum)


# Rate limit of the lookups (portal.throttle.allow: a counter per client
# address in the cache). django-ratelimit is not installed; a school behind
# one address checking a few certificates stays far below the limit.
LOOKUP_LIMIT = 30
LOOKUP_WINDOW_SECONDS = 600


def allow_lookup(ip: str | None) -> bool:
    """Count one lookup from ``ip``; False once the limit is passed within
    the window."""
    return throttle.allow(
        "certificate-verify",
        ip,
        getattr(settings, "CERTIFICATE_VERIFY_LIMIT", LOOKUP_LIMIT),
        getattr(settings, "CERTIFICATE_VERIFY_WINDOW", LOOKUP_WINDOW_SECONDS),
    )
