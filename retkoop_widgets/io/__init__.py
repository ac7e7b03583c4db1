"""Pure format code: the cahier CSV (import and export), the JSON export, the Beancount
journal. No SQLAlchemy here: these functions take and return domain records and text, so
the CLI, the dashboard and the tests all read and write the same formats."""
from .beancount import export_beancount  # noqa: F401
from .cahier_csv import export_cahier, parse_cahier  # noqa: F401
from .json_export import export_json  # noqa: F401
