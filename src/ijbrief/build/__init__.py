"""The build stage: plan what is out of date, render each document (compose, fit, write) in
worker processes, commit the outputs atomically with their manifest (``pipeline``); worker
processes that cannot outlive their parent (``workers``); a large dossier cut into parts and
assembled (``parts``, ``assemble``); atomic writes and the lock on out/ (``outputs``); progress
lines (``progress``); noticing edits (``watching``); ``check``'s trial of the templates folders
(``template_check``, which renders as a build would).

May import ``compose``, ``writers``, ``corpus`` and the leaves; nothing of ``web`` or ``cli``."""
