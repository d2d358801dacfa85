"""PDF rendering with WeasyPrint, fast when warm and without network access.

* One module-level :class:`FontConfiguration`: building it costs more than
  laying out a one-page certificate.
* Stylesheets are parsed once (cached per file and modification time) and
  passed to WeasyPrint as :class:`weasyprint.CSS` objects.
* Fonts are the Debian IPAex fonts found through fontconfig (``font-family:
  "IPAexMincho"``); nothing is downloaded. The URL fetcher only opens
  ``file:`` URLs inside the project's static directory and refuses the rest.
* Renders are serialised by a lock: the shared font configuration (Pango,
  fontconfig) is not meant to be used by two threads at once.
* WeasyPrint's progress logger (one INFO line per rendering step, seven per
  PDF) is raised to WARNING; its warnings and errors still show.
"""

import functools
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from django.conf import settings

# Before WeasyPrint is imported: it parses its own stylesheets on import.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

import weasyprint  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402
from weasyprint.urls import URLFetcher  # noqa: E402

STATIC_DIR = (Path(settings.BASE_DIR) / "static").resolve()

FONT_CONFIG = FontConfiguration()
_RENDER_LOCK = threading.Lock()


class StaticFilesOnlyFetcher(URLFetcher):
    """Opens ``file:`` URLs under ``root`` only; any other URL (http, https,
    data, a file elsewhere) is refused, so a document never reaches the network."""

    def __init__(self, root: Path = STATIC_DIR):
        super().__init__(allowed_protocols={"file"}, allow_redirects=False)
        self.root = Path(root).resolve()

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            raise ValueError(f"refused non-file URL: {url}")
        path = Path(url2pathname(parts.path)).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"refused file outside {self.root}: {url}")
        return super().fetch(url, headers)


URL_FETCHER = StaticFilesOnlyFetcher()
BASE_URL = STATIC_DIR.as_uri() + "/"


@functools.lru_cache(maxsize=16)
def _parsed_stylesheet(path: str, mtime_ns: int) -> weasyprint.CSS:
    return weasyprint.CSS(
        filename=path, base_url=BASE_URL, url_fetcher=URL_FETCHER, font_config=FONT_CONFIG
    )


def stylesheet(relative_path: str) -> weasyprint.CSS:
    """The parsed stylesheet ``static/<relative_path>``, parsed again only when
    the file changes."""
    path = STATIC_DIR / relative_path
    return _parsed_stylesheet(str(path), path.stat().st_mtime_ns)


def stylesheet_text(relative_path: str) -> str:
    return (STATIC_DIR / relative_path).read_text(encoding="utf-8")


def _render(html: str, stylesheets) -> weasyprint.Document:
    return weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=URL_FETCHER).render(
        stylesheets=list(stylesheets), font_config=FONT_CONFIG
    )


def html_to_pdf(
    html: str,
    stylesheets: Sequence[weasyprint.CSS] = (),
    *,
    denser: Sequence[Callable[[], str]] = (),
) -> bytes:
    """The PDF bytes of an HTML string. The same HTML gives the same bytes when
    the HTML carries fixed ``dcterms.created``/``dcterms.modified`` meta tags.

    ``denser``: functions giving alternative HTML (e.g. smaller type), tried in
    turn only while the document takes more than one page; the first variant
    with the fewest pages is written."""
    with _RENDER_LOCK:
        document = _render(html, stylesheets)
        for variant in denser:
            if len(document.pages) <= 1:
                break
            candidate = _render(variant(), stylesheets)
            if len(candidate.pages) < len(document.pages):
                document = candidate
        return document.write_pdf()
