"""Retkoop's JupyterHub: authenticator, spawner, single-user lockdown and the launcher
behind ``retkoop hub``. Configuration itself is in ``hub_config/``."""
