"""The compose stage: from a validated Corpus to HTML. Views per audience and filter
(``select``), audiences and their settings (``audiences``), the sandboxed Jinja environment
(``templating``), the template contexts and rendered HTML of briefs and dossiers (``composer``),
the one-page fit (``fit``), the timeline figure (``timeline``), text formatting (``textfmt``),
what an HTML document shows on screen only (``screen``) and the HTML pages that list the
outputs (``site``: out/index.html and the pages ``serve`` shows).

May import ``corpus`` and the leaves; nothing of ``build``, ``writers`` or ``web``."""
