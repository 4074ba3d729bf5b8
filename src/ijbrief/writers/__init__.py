"""The writers: one module per output format, the only modules that import the engines
(WeasyPrint, python-docx, pikepdf, fontTools). ``pdf`` lays out HTML (WeasyPrint), ``docx``
turns HTML into Word (python-docx, with ``docx_reference`` making each audience's
reference.docx), ``pdf_merge`` and ``fonts`` join a dossier laid out in parts into one PDF
(``layout``: what laying out a part hands back), ``textlayer`` makes the text layer say what a
Devanagari page shows, ``pdf_structure`` adds to the structure tree what PDF/UA asks and
WeasyPrint leaves out, ``docx_package`` reads a reference.docx as a user's file, ``office`` asks
LibreOffice where a DOCX's pages fall, ``syslibs`` reads the versions of WeasyPrint's system
libraries and the fonts, ``probe`` asks them what ``doctor`` checks. (HTML is written as
composed; it needs no writer.)

May import the leaves (``errors``, ``files``, ``accel``, ``heap``) and each other; they take
plain data (strings, bytes, dataclasses of their own), never a Corpus, an Audience or a build's
state."""
