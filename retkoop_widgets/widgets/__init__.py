"""The Voilà dashboard of one cooperative: one module per section, ``app.build_dashboard``
assembles them. Widgets call ``services.Books`` only (plus pure domain helpers)."""
from .app import Dashboard, build_dashboard  # noqa: F401
