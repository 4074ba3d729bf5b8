"""Text formatting for templates: safe Markdown, dates by precision, status labels."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from functools import lru_cache

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup

from ijbrief.corpus.model import iso_prefix as iso_prefix

SAFE_SCHEMES = ("http://", "https://", "mailto:")


class _SafeLinks(Treeprocessor):
    """Keep only http(s) and mailto links; images become their alt text."""

    def run(self, root: ET.Element) -> None:
        for parent in root.iter():
            for child in list(parent):
                if child.tag == "a":
                    href = (child.get("href") or "").strip()
                    if not href.lower().startswith(SAFE_SCHEMES):
                        child.tag = "span"
                        child.attrib.clear()
                    else:
                        child.attrib = {"href": href}
                elif child.tag == "img":
                    child.tag = "span"
                    child.text = child.get("alt", "")
                    child.attrib.clear()


class _NoRawHtml(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_SafeLinks(md), "safe_links", 0)


_PARAGRAPH = re.compile(r"\A<p>(.*)</p>\Z", re.DOTALL)
# Prose gets typographic quotes and apostrophes; dashes and dots stay as the editor typed them.
# (Verbatim quotations are not Markdown: they keep the source's own marks.)
_SMARTY = {
    "smart_dashes": False,
    "smart_ellipses": False,
    "smart_angled_quotes": False,
    "substitutions": {
        "left-single-quote": "\u2018",
        "right-single-quote": "\u2019",
        "left-double-quote": "\u201c",
        "right-double-quote": "\u201d",
    },
}


# Large enough for every text of a large corpus: a long-lived process (build --watch, serve)
# then converts only what changed. (500 meetings have about 15,000 texts.)
@lru_cache(maxsize=65536)
def md_inline(text: str) -> Markup:
    """Markdown to HTML with raw HTML escaped and unsafe links removed; one paragraph unwrapped."""
    converter = markdown.Markdown(
        extensions=[_NoRawHtml(), "smarty"],
        extension_configs={"smarty": _SMARTY},
        output_format="html",
    )
    html = converter.convert(text).strip()
    single = _PARAGRAPH.match(html)
    if single and "<p>" not in single.group(1):
        html = single.group(1)
    return Markup(html)


def format_date(day: dt.date, precision: str = "day") -> str:
    """7 October 2020, October 2020 or 2020, as precise as the record is; "on or about 7 October
    2020" and "about October 2020" when the sources place it only roughly."""
    if precision == "year":
        return str(day.year)
    if precision == "month":
        return day.strftime("%B %Y")
    if precision == "approximate-month":
        return f"about {day.strftime('%B %Y')}"
    if precision == "approximate":
        return f"on or about {day.day} {day.strftime('%B %Y')}"
    return f"{day.day} {day.strftime('%B %Y')}"


def format_days(start: dt.date, end: dt.date | None, precision: str = "day") -> str:
    """A meeting's dates: 7 October 2020, or over days 29–30 August 2018, 30 September –
    1 October 2018, 31 December 2018 – 1 January 2019."""
    if end is None or end == start or precision != "day":
        return format_date(start, precision)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{format_date(end)}"
    if start.year == end.year:
        return f"{start.day} {start.strftime('%B')} – {format_date(end)}"
    return f"{format_date(start)} – {format_date(end)}"


def count_of(number: int, one: str, many: str) -> str:
    """``1 meeting``, ``4 meetings``, ``no meetings``: a template's ``count`` filter."""
    if number == 0:
        return f"no {many}"
    return f"{number} {one if number == 1 else many}"


def status_label(status: str) -> str:
    """``text-finalised`` → ``Text finalised``."""
    return status.replace("-", " ").capitalize()


def css_string(text: object) -> Markup:
    """Text made safe inside a double-quoted CSS string in a <style> element (never HTML-escaped,
    since <style> content is not decoded)."""
    out = []
    for char in str(text):
        if char in '"\\<>&' or ord(char) < 0x20:
            out.append(f"\\{ord(char):x} ")
        else:
            out.append(char)
    return Markup("".join(out))
