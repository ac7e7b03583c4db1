"""The kernel websocket of the locked dashboards: no traceback from any kernel message.

``QuietErrorsConnection`` (``kernel_errors.py``) already replaces ``error`` messages. But a
kernel also *logs* exceptions it catches itself, to its stderr, which ipykernel forwards to
the page as an iopub ``stream`` message: a ``comm_open`` to ``jupyter.widget.control``
without version metadata, for one, answers the whole traceback with the server's paths.
A dashboard page never needs the kernel's stderr (Retkoop's widgets say what went wrong in
French, in their own status fields), so ``LockedKernelConnection`` keeps every ``stderr``
stream out of the page and writes it to the server's log instead.
"""
from __future__ import annotations

from .kernel_errors import QuietErrorsConnection


class LockedKernelConnection(QuietErrorsConnection):
    def _limit_rate(self, channel, msg, msg_list):
        if channel == "iopub":
            header = self.get_part("header", msg["header"], msg_list)
            if header.get("msg_type") == "stream":
                content = self.get_part("content", msg["content"], msg_list)
                if content.get("name") == "stderr":
                    self.log.warning("retkoop: kernel stderr kept out of the page: %s",
                                     str(content.get("text", ""))[:4000])
                    return True
        return super()._limit_rate(channel, msg, msg_list)
