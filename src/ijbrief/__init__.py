"""ijbrief: curated India–Japan meeting summaries into dated briefs and dossiers."""

__version__ = "0.1.0"
