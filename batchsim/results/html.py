"""Self-contained HTML pages: the building blocks of every ``report.html``.

A page carries its style and its images inside (PNG as ``data:`` URIs) and a Content Security
Policy that forbids fetching anything, so it opens the same offline, from a mail attachment or
an artefact store, and never makes a network request. Nothing here reads the clock, so the same
inputs give the same bytes.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PNG_DPI = 110
"""Resolution of every PNG batchsim writes or embeds."""
# Drop the "Software: matplotlib version …" chunk so the bytes do not depend on the install.
PNG_METADATA = {"Software": None}
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
"""Nothing may be fetched: images are data: URIs, the style is inline, there is no script."""
STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1b1f24;
       background: #f6f7f9; }
main { max-width: 1180px; margin: 0 auto; padding: 24px; }
h1 { margin: 0 0 4px; font-size: 1.6em; }
h2 { margin: 28px 0 10px; font-size: 1.2em; border-bottom: 1px solid #d0d7de; }
p.meta { color: #57606a; margin: 4px 0 16px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 10px 14px;
        min-width: 150px; }
.card .label { color: #57606a; font-size: 0.85em; }
.card .value { font-size: 1.35em; font-weight: 600; margin-top: 2px; }
.card .detail { color: #57606a; font-size: 0.8em; margin-top: 2px; }
figure { margin: 0 0 12px; background: #fff; border: 1px solid #d0d7de; border-radius: 8px;
         padding: 8px; }
figure img { max-width: 100%; height: auto; display: block; }
figcaption { color: #57606a; font-size: 0.85em; margin-top: 4px; }
table { border-collapse: collapse; background: #fff; font-size: 0.9em; margin-bottom: 8px; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #eef1f4; }
"""


def png_bytes(figure: Figure) -> bytes:
    """Return ``figure`` rendered as PNG (Agg, ``PNG_DPI``, no version metadata)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=PNG_DPI, metadata=PNG_METADATA)
    return buffer.getvalue()


def image(png: bytes, alt: str, caption: str = "") -> str:
    """Return a ``<figure>`` showing ``png`` inline, with ``alt`` text and an optional caption."""
    data = base64.b64encode(png).decode("ascii")
    note = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return f'<figure><img alt="{escape(alt)}" src="data:image/png;base64,{data}">{note}</figure>'


def card(label: str, value: str, detail: str = "", key: str = "", raw: object = None) -> str:
    """Return a summary card: ``label`` over a big ``value`` and an optional ``detail`` line.

    ``key`` and ``raw`` become ``data-key`` / ``data-value`` attributes, so a reader (or a
    test) finds the exact figure behind the formatted one.
    """
    attributes = f' data-key="{escape(key)}"' if key else ""
    if raw is not None:
        attributes += f' data-value="{escape(repr(raw))}"'
    extra = f'<div class="detail">{escape(detail)}</div>' if detail else ""
    return (
        f'<div class="card"{attributes}><div class="label">{escape(label)}</div>'
        f'<div class="value">{escape(value)}</div>{extra}</div>'
    )


def table(
    header: Sequence[str], rows: Sequence[Sequence[object]], numeric: Sequence[int] = ()
) -> str:
    """Return an HTML table of ``rows`` (cells as text, escaped); columns whose index is in
    ``numeric`` are right-aligned."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(_cell(c, i in numeric) for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: object, numeric: bool) -> str:
    """Return one ``<td>``; a value that is already markup (:class:`Markup`) is not escaped."""
    text = value if isinstance(value, Markup) else escape(str(value))
    return f'<td class="num">{text}</td>' if numeric else f"<td>{text}</td>"


class Markup(str):
    """Text that is already HTML (a link in a table cell), inserted as it is."""


def link(url: str, text: str) -> Markup:
    """Return a link to ``url``; following it is the reader's choice, loading the page is not."""
    return Markup(f'<a href="{escape(url)}" rel="noreferrer">{escape(text)}</a>')


def section(anchor: str, title: str, *parts: str) -> str:
    """Return a ``<section id=anchor>`` headed by ``title`` and holding ``parts`` (HTML)."""
    return f'<section id="{escape(anchor)}"><h2>{escape(title)}</h2>{"".join(parts)}</section>'


def paragraph(text: str, css: str = "") -> str:
    """Return ``text`` (escaped) as a paragraph, with the CSS class ``css`` if given."""
    attribute = f' class="{css}"' if css else ""
    return f"<p{attribute}>{escape(text)}</p>"


def page(title: str, parts: Sequence[str]) -> str:
    """Return a whole HTML document titled ``title`` holding ``parts`` (HTML) in order."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>\n"
        f"<body><main><h1>{escape(title)}</h1>\n" + "\n".join(parts) + "\n</main></body></html>\n"
    )
