"""ijbrief: curated summaries of a bilateral relationship's meetings into dated briefs and dossiers."""

__version__ = "0.1.0"
