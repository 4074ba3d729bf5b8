"""What an HTML brief or dossier shows on screen only: a bar with the way back to the index and
the same document's other formats (the page's header), the document as the page's main part.
Written into the .html file, never into the HTML that the PDF and DOCX are made from."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePosixPath

from markupsafe import Markup

from ijbrief.compose import formats as output_formats

_BODY = re.compile(r"<body\b[^>]*>")


def with_screen_bar(html: str, stem: str, formats: Sequence[str], own: str = "html") -> str:
    """``html`` with the bar placed first in its body; ``stem`` is the output's path, relative to
    out/, without suffix (its depth gives the way back to out/index.html); the bar links to the
    document in ``formats`` but its ``own``."""
    path = PurePosixPath(stem)
    back = "../" * (len(path.parts) - 1) + "index.html"
    links = [
        Markup('<a href="{}"{}>{}</a>').format(
            f"{path.name}{fmt.suffix}",
            Markup("") if fmt.in_browser else Markup(" download"),
            fmt.label,
        )
        for fmt in output_formats.formats()
        if fmt.name in formats and fmt.name != own
    ]
    bar = Markup(
        '<header class="screen-bar"><nav aria-label="Document"><a class="back" href="{}">'
        "← All briefs and dossiers</a>{}</nav></header>"
    ).format(
        back,
        Markup('<span class="downloads">{}</span>').format(Markup(" ").join(links))
        if links
        else "",
    )
    found = _BODY.search(html)
    if found is None:
        return html
    # Landmarks for a screen reader: the bar is the page's header, the document its main part.
    start, end = found.end(), html.rfind("</body>")
    if end < start:
        end = len(html)
    return f'{html[:start]}\n{bar}\n<main id="document">{html[start:end]}</main>\n{html[end:]}'
