"""Root conftest: the fixture database must exist whatever paths pytest is given
(``./dev test notebooks`` alone too), since nbval starts notebook kernels before any
fixture runs. The work is in ``tests/conftest.py``; it runs once per process."""
from tests.conftest import pytest_configure  # noqa: F401
