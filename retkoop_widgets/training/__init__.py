"""Guided training sessions for new mandataires.

A trainer creates a *session*: N sandbox coops (``FORM-<session>-01`` …, flagged
``training`` so analyses never count them) and one trainee account each. Each trainee
keeps the sandbox's books in the ordinary dashboard while the exercise notebooks of
``notebooks/formation/`` check the sandbox and say, in French, what is right and what is
missing.

* ``scenario`` — the story the trainee follows (dates, amounts, the bank statement).
* ``checks`` — pure checking functions: a ``Sandbox`` snapshot in, a ``Verdict`` out.
* ``sandbox`` — session creation, sandbox reset (audited), progress table.
* ``widgets`` — the checker widget (trainee) and the trainer view.
"""
from .checks import DONE, TODO, TO_FIX, Verdict, check, check_all
from .scenario import EXERCISES, Exercise, exercise

__all__ = ["DONE", "TODO", "TO_FIX", "Verdict", "check", "check_all", "EXERCISES", "Exercise", "exercise"]
