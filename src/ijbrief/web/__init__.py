"""The web stage: ``serve``, the local HTTP server over out/ (routes, build jobs, rebuilding as
the project changes); its pages are made by ``compose.site``.

May import ``build``, ``compose``, ``corpus`` and the leaves; only ``cli`` imports it."""
