"""The kernel websocket that keeps working after a kernel error, without its traceback.

Why this exists: with ``MappingKernelManager.allow_tracebacks=False`` (we never let a
traceback reach a browser: it may hold a database URL or a server path), jupyter_server
2.21's ``ZMQChannelsWebsocketConnection._on_error`` replaces the traceback with
``self.kernel_manager.traceback_replacement_message``. ``kernel_manager`` there is the
*single* kernel's manager, which has no such attribute (only the multi-kernel manager
defines it). The first ``error`` message a kernel publishes, for instance Python's
``date`` refusing year 32026 while a DatePicker's state is deserialised, therefore raises
AttributeError inside the server, and that websocket's iopub stream stops for good: the
page freezes until a reload, and what the teacher typed is lost.

``QuietErrorsConnection`` reads the message from the multi-kernel manager, where it lives,
and strips the exception's name and value too (``evalue`` can hold the same secrets as the
traceback). It is set as ``kernel_websocket_connection_class`` of standalone Voilà
(``dashboard_server.py``) and of the hub's single-user servers (``hub_config/``): a small
subclass in our code, no patch of site-packages.
"""
from __future__ import annotations

from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection

#: What the page receives instead of a traceback (French, like every message a person sees).
REPLACEMENT = "Une erreur inattendue est survenue ; le détail est dans le journal du serveur."


class QuietErrorsConnection(ZMQChannelsWebsocketConnection):
    """``ZMQChannelsWebsocketConnection`` whose error filter cannot itself fail."""

    def _on_error(self, channel, msg, msg_list):
        if self.multi_kernel_manager.allow_tracebacks or channel != "iopub":
            return
        msg["header"] = self.get_part("header", msg["header"], msg_list)
        if msg["header"].get("msg_type") != "error":
            return
        msg["content"] = self.get_part("content", msg["content"], msg_list)
        msg["content"]["ename"] = "ExecutionError"
        msg["content"]["evalue"] = "Execution error"
        msg["content"]["traceback"] = [REPLACEMENT]
        if self.subprotocol == "v1.kernel.websocket.jupyter.org":
            msg_list[3] = self.session.pack(msg["content"])
