"""Storage at the edge: SQLAlchemy 2 ORM tables, Alembic migrations, the repository and
the unit of work. Only this package (and ``services``) knows SQL exists."""
