"""The build stage: plan what is out of date (``plan``: options, tasks, cache keys, the engines'
versions), render each document (``render``: compose, fit, write every format; ``limits``: its
deadline and memory), run the renders in worker pools and commit the outputs atomically with
their manifest (``pipeline``, the public ``build()``; ``manifest``); what a long-lived process
keeps between builds, its resident workers and warm merger (``pool``; ``merging`` joins a
dossier's parts); worker processes that cannot outlive their parent (``workers``); a large
dossier cut into parts and assembled (``parts``, ``assemble``); atomic writes and the lock on
out/ (``outputs``); progress lines (``progress``); noticing edits (``watching``); ``check``'s
trial of the templates folders (``template_check``, which renders as a build would).

May import ``compose``, ``writers``, ``corpus`` and the leaves; nothing of ``web`` or ``cli``."""
