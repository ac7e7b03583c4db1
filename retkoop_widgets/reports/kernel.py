"""The report kernel's launcher: ``python -m retkoop_widgets.reports.kernel -f CONNECTION_FILE``.

An ordinary IPython kernel (``ipykernel_launcher``), minus what a report never uses and
pays for at every start:

* debugpy: ipykernel imports it at start-up for the debugger (~0.1–0.16 s here); a report
  kernel is never debugged. Blocking the import makes ipykernel run without a debugger,
  as it does when debugpy is not installed.
* the IPython history database (an SQLite file under ``~/.ipython``, opened and written
  for every cell): nobody reads a report kernel's history.

``ReportKernel`` (``runner.py``) starts this module instead of the ``python3`` kernelspec.
The notebooks themselves are unchanged and still run in any Python kernel (nbval,
Jupyter, papermill).
"""
from __future__ import annotations

import os
import sys


def main() -> None:
    # As ``ipykernel_launcher``: the working directory leaves ``sys.path`` while the kernel
    # loads (IPython puts ``''`` back for the notebook's own imports).
    if sys.path and (sys.path[0] in ("", os.getcwd())):
        del sys.path[0]
    sys.modules.setdefault("debugpy", None)  # ``import debugpy`` → ImportError → no debugger
    from ipykernel.kernelapp import IPKernelApp
    IPKernelApp.launch_instance(argv=sys.argv[1:] + ["--HistoryManager.enabled=False"])


if __name__ == "__main__":
    main()
