"""The corpus stage: the project's YAML read strictly (``yamlio``, a line and column for every
value), the typed records (``model``), the project and its countries (``project``), loading and
cross-checking a whole corpus (``loader``) into a ``collection.Corpus``, the support check that
every printed statement is in the sources it cites (``fidelity``), and what writes the project's
files: scaffolds and schemas (``authoring``), ``ijbrief init`` (``starter``), sources brought in
from HTML, PDF or Word (``sources``) and a first draft of a meeting from one (``drafting``).

May import only the leaves (``errors``, ``files``, ``accel``, ``heap``); ``model`` imports
nothing of ijbrief. The rest of ijbrief imports from here, never the other way."""
