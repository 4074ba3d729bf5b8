"""The corpus stage: the project's YAML read strictly (``yamlio``, a line and column for every
value), the typed records (``model``), loading and cross-checking a whole corpus (``loader``),
and scaffolding new files and schemas (``authoring``).

May import only ``errors`` and ``heap`` (leaves); ``model`` imports nothing of ijbrief. The rest
of ijbrief imports from here, never the other way."""
