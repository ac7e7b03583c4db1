"""The AD analysis' set-based SQL now lives in storage (``storage.analysis_queries``: only
storage builds queries on the ORM tables); this old name is the same module object, so
``from retkoop_widgets.analysis import queries`` and monkeypatching it keep working."""
import sys

from ..storage import analysis_queries

sys.modules[__name__] = analysis_queries
