"""Retkoop: bookkeeping for French school cooperatives (OCCE). See docs/architecture.md.

A regular package, not a namespace one: without this file every ``retkoop_widgets`` folder
on ``sys.path`` (an installed wheel, a checkout, the current directory) merged into one
package, so an installed Retkoop could run modules of a stray checkout, and
``retkoop_widgets.__file__`` was ``None``. Now the first one found is the whole package
(tests/test_packaging.py checks the wheel's is, far from the checkout).
"""
