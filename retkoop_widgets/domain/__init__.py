"""Pure domain model of a school cooperative's books.

Nothing in this package imports SQLAlchemy, ipywidgets or any I/O library: the rules of
the cahier (money, chart of accounts, exercices, entries, alerts, the compte rendu
financier) are plain Python over immutable records, so they are fast to test and the
same for the CLI, the dashboard, the notebooks and the importers.
"""
