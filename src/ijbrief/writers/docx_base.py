"""What every part of the DOCX writer shares: WordprocessingML names, the document's facts
(:class:`DocxMeta`), the state carried down the HTML tree, and text and paragraph helpers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree  # type: ignore[import-untyped, unused-ignore]

# lxml ships without type information; elements are typed loosely on purpose.
Element = Any

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
RT_HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"

JA_FONT = "Noto Sans CJK JP"
HI_FONT = "Noto Sans Devanagari"


@dataclass(frozen=True)
class _Script:
    """How Word is told of a script's runs: the font and language slot they take (East Asian or
    complex script), their language tag, and the faces matching a sans and a serif text."""

    ranges: str  # the characters of the script, as a regular expression's class holds them
    slot: str  # "eastAsia" or "cs" (w:rFonts); the language goes in w:eastAsia or w:bidi
    lang: str
    sans: str
    serif: str
    rtl: bool = False  # written right to left: its runs get w:rtl, a paragraph of it w:bidi


# The scripts names may be written in (project.yaml's ``scripts``), by their code in ``lang``
# attributes and :func:`split_scripts`: another script is one more entry here.
SCRIPTS = {
    "ja": _Script(
        "\u3000-\u303f\u3040-\u309f\u30a0-\u30ff\u3190-\u31ff\u3200-\u33ff\u3400-\u4dbf"
        "\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003134f",
        "eastAsia",
        "ja-JP",
        JA_FONT,
        "Noto Serif CJK JP",
    ),
    "hi": _Script(
        "\u0900-\u097f\ua8e0-\ua8ff\u1cd0-\u1cff", "cs", "hi-IN", HI_FONT, "Noto Serif Devanagari"
    ),
    # Chinese shares the ideographs (and its ranges) with Japanese, so code points alone never
    # make a run Chinese: its group in the pattern below comes after Japanese's and never
    # matches; a run is Chinese when an enclosing ``lang`` says so (:func:`split_scripts`).
    "zh": _Script(
        "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
        "\U00020000-\U0003134f",
        "eastAsia",
        "zh-CN",
        "Noto Sans CJK SC",
        "Noto Serif CJK SC",
    ),
    # The other scripts project.yaml can declare, whose characters no entry above shares.
    "ar": _Script(
        "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufefc", "cs", "ar-SA",
        "Noto Sans Arabic", "Noto Naskh Arabic", rtl=True,
    ),
    "ko": _Script(
        "\uac00-\ud7af\u1100-\u11ff\u3130-\u318f", "eastAsia", "ko-KR", "Noto Sans CJK KR",
        "Noto Serif CJK KR",
    ),
    "th": _Script("\u0e00-\u0e7f", "cs", "th-TH", "Noto Sans Thai", "Noto Serif Thai"),
    "bn": _Script("\u0980-\u09ff", "cs", "bn-IN", "Noto Sans Bengali", "Noto Serif Bengali"),
    "ta": _Script("\u0b80-\u0bff", "cs", "ta-IN", "Noto Sans Tamil", "Noto Serif Tamil"),
}  # fmt: skip


def _is_serif(font: str | None) -> bool:
    """Whether a face is a serif one, by its name, as print.css decides for the PDF."""
    name = (font or "").lower()
    return "serif" in name and "sans" not in name


# From the heading styles only: a class-styled heading (a section label) has an outline level of
# its own for the navigation pane, but the contents list chapters and tracker entries, as the PDF.
TOC_INSTRUCTION = ' TOC \\o "1-2" \\h \\z '

_EMU_PER_TWIP = 635
_A4_TEXT_TWIPS = (9638, 14570)  # A4 with 2 cm margins, used when the reference is silent


def _w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


W_VAL = _w("val")
W_P, W_PPR, W_R, W_RPR, W_T = _w("p"), _w("pPr"), _w("r"), _w("rPr"), _w("t")
W_PSTYLE, W_RSTYLE = _w("pStyle"), _w("rStyle")
W_HYPERLINK, W_BR, W_TAB = _w("hyperlink"), _w("br"), _w("tab")
W_FLDCHAR, W_INSTR = _w("fldChar"), _w("instrText")
W_BM_START, W_BM_END = _w("bookmarkStart"), _w("bookmarkEnd")


@dataclass(frozen=True)
class DocxMeta:
    """Document-level facts that are not part of the HTML body."""

    title: str
    subject: str
    author: str
    keywords: list[str]
    created: datetime
    header_text: str | None
    page_x_of_y: bool
    cover: bool
    scale: float = 1.0
    # The footer: this text at the left, "Page X of Y" (if asked) in the middle and the
    # classification at the right, as the PDF's page margins show them.
    footer_text: str | None = None
    classification: str | None = None
    project: str = ""  # fills {project} in the reference document's header banner
    # Where the sourced text came from, for `ijbrief review` (writers/docx_provenance.py).
    provenance: tuple[tuple[str, str], ...] = ()


# --------------------------------------------------------------------------- text helpers

_BAD_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_HTML_WS = re.compile(r"[ \t\n\r\f]+")

_NEUTRAL_RANGES = " \t\n\u00a0\u2000-\u206f!-/:-@\\[-`{-~"
_NEUTRAL_CHARS = (
    " \t\n\u00a0" + "".join(map(chr, range(0x2000, 0x2070))) + "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
)
_ALL_RANGES = "".join(s.ranges for s in SCRIPTS.values())
_ASIAN = re.compile(f"[{_ALL_RANGES}]")
_SCRIPT_TOKEN = re.compile(
    "".join(f"(?P<{code}>[{s.ranges}]+)|" for code, s in SCRIPTS.items())
    + f"(?P<n>[{_NEUTRAL_RANGES}]+)|(?P<l>[^{_ALL_RANGES}{_NEUTRAL_RANGES}]+)"
)


# Scripts written in the ideographs :data:`SCRIPTS` matches as Japanese.
_HAN_SHARERS = frozenset({"zh"})


def _check_text(text: str, label: str) -> None:
    """Refuse characters that WordprocessingML cannot hold, naming where they were found."""
    match = _BAD_XML_CHARS.search(text)
    if match is None:
        return
    start = max(0, match.start() - 30)
    excerpt = text[start : match.end() + 30]
    raise ValueError(
        f"{label} contains control character U+{ord(match.group()):04X}, "
        f"which a DOCX file cannot hold: {excerpt!r}"
    )


def split_scripts(text: str, prefer: str | None = None) -> list[tuple[str, str]]:
    """Split text into (script, chunk) pairs; script is a code of :data:`SCRIPTS` ("ja", "hi") or "" for the rest.

    Spaces and punctuation between two chunks of the same script stay with them (so
    "茂木 敏充" is one run); otherwise they go with the Latin text, or with ``prefer``
    (the script named by an enclosing ``lang`` attribute).
    """
    if _ASIAN.search(text) is None:
        return [("", text)]
    tokens = [(m.lastgroup or "l", m.group()) for m in _SCRIPT_TOKEN.finditer(text)]
    if prefer in _HAN_SHARERS:
        # Han ideographs (matched as Japanese) inside an element marked Chinese are Chinese.
        tokens = [(prefer if kind == "ja" else kind, piece) for kind, piece in tokens]
    chunks: list[list[str]] = []
    for index, (kind, piece) in enumerate(tokens):
        if kind == "n":
            before = chunks[-1][0] if chunks else None
            after = tokens[index + 1][0] if index + 1 < len(tokens) else None
            if before is not None and before in (after, prefer):
                kind = before
            elif prefer is not None and after == prefer:
                kind = after
            elif before in (None, "l") or after == "l":
                kind = "l"
            else:
                kind = before
        if chunks and chunks[-1][0] == kind:
            chunks[-1][1] += piece
        else:
            chunks.append([kind, piece])
    return [("" if kind == "l" else kind, piece) for kind, piece in chunks]


def _bookmark_name(raw: str, used: set[str]) -> str:
    """Word bookmark name: at most 40 characters, a letter first, then letters, digits, '_'."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", raw)
    if not name or not ("A" <= name[0] <= "Z" or "a" <= name[0] <= "z"):
        name = "b_" + name
    name = name[:40]
    base, counter = name, 2
    while name.lower() in used:
        suffix = f"_{counter}"
        name = base[: 40 - len(suffix)] + suffix
        counter += 1
    used.add(name.lower())
    return name


# --------------------------------------------------------------------------- conversion state


@dataclass(frozen=True)
class _Fmt:
    """Inline formatting carried down the HTML tree."""

    bold: bool = False
    italic: bool = False
    vert: str | None = None
    cstyle: str | None = None
    link: str | None = None  # "r:<rId>" for external, "a:<bookmark>" for internal
    lang: str | None = None


_PLAIN = _Fmt()
# (kind, value, fmt); kind is "t" text, "br" line break, "bs"/"be" bookmark start/end
Seg = tuple[str, str, _Fmt]


@dataclass
class _Item:
    """A list item: its first paragraph carries the number, later ones are indented."""

    num_id: int
    ilvl: int
    first: bool = True


@dataclass(frozen=True)
class _Ctx:
    pstyle: str | None = None  # style of paragraphs made here
    inherit: str | None = None  # class-derived style passed on to nested lists
    fmt: _Fmt = _PLAIN
    item: _Item | None = None
    depth: int = 0  # list nesting
    quote: bool = False


_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "caption", "details", "div", "dd", "dl",
        "dt", "fieldset", "figcaption", "figure", "footer", "form", "header", "hgroup", "hr",
        "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td",
        "tfoot", "th", "thead", "tr", "ul", *_HEADINGS,
    }
)  # fmt: skip
_SKIP_TAGS = frozenset(
    {"head", "style", "script", "template", "noscript", "svg", "img", "meta", "link", "title"}
)
_BODY_RELATIONSHIPS = ("/image", "/hyperlink")
_EXTERNAL_LINK = re.compile(r"(?i)^(https?://|mailto:)")
_LIST_INDENT = 360  # twips per nesting level
_BULLETS = ("\u2022", "\u2013")


def _starts_page(classes: list[str]) -> bool:
    """Whether an element with these classes starts a page, as print.css has it: a chapter does
    unless it runs on after the one before (``flows``)."""
    return "page-break" in classes or ("chapter" in classes and "flows" not in classes)


def _classes(el: Element) -> list[str]:
    value = el.get("class")
    return value.split() if value else []


def _is_skipped(el: Element) -> bool:
    return el.tag in _SKIP_TAGS or "pdf-only" in _classes(el)


def _lang_of(el: Element, current: str | None) -> str | None:
    lang = el.get("lang")
    if lang is None:
        return current
    code = re.split(r"[-_]", lang.strip().lower())[0]
    return code if code in SCRIPTS else None


def _paragraph_properties(p: Element) -> Element:
    """Paragraph ``p``'s w:pPr, made as its first child if it has none."""
    ppr = p.find(W_PPR)
    if ppr is None:
        ppr = etree.Element(W_PPR)
        p.insert(0, ppr)
    return ppr


def _keep_with_next(p: Element) -> None:
    if p.tag != W_P:
        return
    ppr = _paragraph_properties(p)
    if ppr.find(_w("keepNext")) is None:
        keep = etree.Element(_w("keepNext"))
        style = ppr.find(W_PSTYLE)
        if style is None:
            ppr.insert(0, keep)
        else:
            style.addnext(keep)


def _set_outline_level(p: Element, level: int) -> None:
    """Give paragraph ``p`` an outline level (0 for level 1) after its other properties."""
    if p.tag != W_P:
        return
    ppr = _paragraph_properties(p)
    # w:outlineLvl comes after spacing, indentation and alignment, before w:rPr
    follows = {_w(n) for n in ("divId", "cnfStyle", "pPrChange", "rPr", "sectPr")}
    outline = etree.Element(_w("outlineLvl"))
    outline.set(W_VAL, str(level))
    later = next((child for child in ppr if child.tag in follows), None)
    if later is None:
        ppr.append(outline)
    else:
        later.addprevious(outline)


def _int_attr(el: Element, name: str) -> int:
    value = (el.get(name) or "").strip()
    return max(1, min(int(value), 63)) if value.isdigit() else 1


def _normalise_ws(segs: list[Seg]) -> list[Seg]:
    """Collapse HTML whitespace across runs and trim it at paragraph and line ends."""
    out: list[list[Any]] = []
    space_before = True
    for kind, value, fmt in segs:
        if kind == "t":
            text = _HTML_WS.sub(" ", value)
            if space_before and text.startswith(" "):
                text = text[1:]
            if not text:
                continue
            space_before = text.endswith(" ")
            if out and out[-1][0] == "t" and out[-1][2] == fmt:
                out[-1][1] += text
            else:
                out.append(["t", text, fmt])
        else:
            if kind == "br":
                _trim_end(out)
                space_before = True
            out.append([kind, value, fmt])
    _trim_end(out)
    return [(kind, value, fmt) for kind, value, fmt in out if kind != "t" or value]


def _trim_end(out: list[list[Any]]) -> None:
    for seg in reversed(out):
        if seg[0] == "br":
            return
        if seg[0] == "t":
            seg[1] = seg[1].rstrip(" ")
            if seg[1]:
                return


def _field(parent: Element, instruction: str, cached: str) -> None:
    for kind in ("begin", "instr", "separate", "text", "end"):
        run = etree.SubElement(parent, W_R)
        if kind == "instr":
            instr = etree.SubElement(run, W_INSTR)
            instr.set(XML_SPACE, "preserve")
            instr.text = f" {instruction} "
        elif kind == "text":
            etree.SubElement(run, W_T).text = cached
        else:
            etree.SubElement(run, W_FLDCHAR).set(_w("fldCharType"), kind)


def _wholly_rtl(segs: list[Seg]) -> bool:
    """Whether a paragraph's text is all in right-to-left scripts (spaces and punctuation aside),
    so that Word lays the paragraph out right to left (w:bidi) as well as its runs."""
    chunks = [
        (script, chunk)
        for kind, value, fmt in segs
        if kind == "t"
        for script, chunk in split_scripts(value, fmt.lang)
        if chunk.strip(_NEUTRAL_CHARS)
    ]
    return bool(chunks) and all(script in SCRIPTS and SCRIPTS[script].rtl for script, _ in chunks)


# The w:pPr children that come after w:bidi in WordprocessingML's schema order.
_AFTER_BIDI = frozenset(
    _w(tag)
    for tag in (
        "adjustRightInd", "snapToGrid", "spacing", "ind", "contextualSpacing", "mirrorIndents",
        "suppressOverlap", "jc", "textDirection", "textAlignment", "textboxTightWrap",
        "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr", "pPrChange",
    )
)  # fmt: skip


def _set_bidi(p: Element) -> None:
    """Mark paragraph ``p`` right to left, w:bidi in its schema place within w:pPr."""
    ppr = _paragraph_properties(p)
    bidi = etree.Element(_w("bidi"))
    for index, child in enumerate(ppr):
        if child.tag in _AFTER_BIDI:
            ppr.insert(index, bidi)
            return
    ppr.append(bidi)
