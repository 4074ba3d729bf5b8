"""The compose stage: from a validated Corpus to HTML. Views per audience and filter
(``select``), audiences and their settings (``audiences``), the sandboxed Jinja environment
(``templating``, with ``reuse`` keeping a long-lived process's chapters), the template contexts
and rendered HTML of briefs and dossiers (``composer``), the one-page fit (``fit``), the
timeline figure (``timeline``), text formatting (``textfmt``) and the HTML pages that list the
outputs (``site``: out/index.html and the pages ``serve`` shows).

May import ``corpus`` and the leaves (``errors``, ``heap``, the package's ``__version__``);
nothing of ``build``, ``writers`` or ``web``."""
