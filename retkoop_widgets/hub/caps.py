"""Per-server kernel cap for the locked dashboards (mandataire, admin-ad).

Why: every GET of a dashboard starts a kernel (~70-80 MB) that lives until culled (15 min);
ten parallel GETs made ten kernels and a mandataire reached 23, a way for one account to
exhaust a machine shared by a hundred. ``CappedKernelManager`` keeps at most
``max_kernels`` live kernels per server: when a new page needs a kernel beyond that, the
least recently active *idle* kernel is shut down (its older tab stops answering, which is
what a person who opened a fourth tab expects); if none is idle (all busy rendering), the
new page is refused with a French message rather than one more kernel. Starts are
serialised so that parallel requests cannot overshoot the cap.

The hub side has its own limits (``hub_config/jupyterhub_config.py``:
``JupyterHub.concurrent_spawn_limit``, ``active_server_limit``).
"""
from __future__ import annotations

import asyncio

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Integer

TOO_MANY = ("trop de pages du tableau de bord sont ouvertes en même temps : fermez un onglet "
            "ou attendez quelques secondes, puis rechargez la page")


class CappedKernelManager(AsyncMappingKernelManager):
    max_kernels = Integer(3, config=True, help="Live kernels at most on this server (0: no cap).")

    _cap_lock: asyncio.Lock | None = None

    async def start_kernel(self, *, kernel_id=None, path=None, **kwargs):
        if not self.max_kernels or (kernel_id is not None and kernel_id in self):
            return await super().start_kernel(kernel_id=kernel_id, path=path, **kwargs)
        if self._cap_lock is None:
            self._cap_lock = asyncio.Lock()
        async with self._cap_lock:
            while len(self.list_kernel_ids()) >= self.max_kernels:
                idle = [k for k in self.list_kernel_ids()
                        if getattr(self.get_kernel(k), "execution_state", "") == "idle"]
                if not idle:
                    self.log.warning("retkoop caps: %d kernels busy, page refused", len(self.list_kernel_ids()))
                    error = web.HTTPError(429, "too many kernels")
                    error.retkoop_message = TOO_MANY[:1].upper() + TOO_MANY[1:] + "."
                    raise error
                oldest = min(idle, key=lambda k: self.get_kernel(k).last_activity)
                self.log.info("retkoop caps: shutting down idle kernel %s (cap %d)", oldest, self.max_kernels)
                await self.shutdown_kernel(oldest)
            return await super().start_kernel(kernel_id=kernel_id, path=path, **kwargs)
