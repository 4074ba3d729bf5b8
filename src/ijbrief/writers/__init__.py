"""The writers: one module per output format, the only modules that import the engines
(WeasyPrint, python-docx, pikepdf, fontTools). ``pdf`` lays out HTML (WeasyPrint), ``docx``
turns HTML into Word (python-docx, with ``docx_reference`` making each audience's
reference.docx), ``pdf_merge`` and ``fonts`` join a dossier laid out in parts into one PDF
(``layout``: what laying out a part hands back), ``syslibs`` finds WeasyPrint's system
libraries, ``probe`` asks them what ``doctor`` checks. (HTML is written as composed; it needs no
writer.)

May import ``errors`` and each other; they take plain data (strings, bytes, dataclasses of
their own), never a Corpus, an Audience or a build's state."""
