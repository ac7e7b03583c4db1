"""API errors in French: the JSON answers of the hub's and the locked servers' REST APIs.

A person meets them too: a teacher who types ``/hub/api/users`` or ``/user/<login>/api/contents``
in the address bar reads « Action is not authorized with current scopes; requires any of
[list:users] ». The pages already have French templates (``hub_config/templates``,
``hub_config/singleuser_templates``); the APIs write JSON from Python, so ``french_api_errors``
wraps the ``write_error`` of an API handler class: the status code stays, the ``message``
becomes one French sentence per status, and the original detail goes to the server's log only
(it may name scopes, resources or paths).
"""
from __future__ import annotations

import functools
import json
import logging

log = logging.getLogger(__name__)

MESSAGES = {
    400: "demande incorrecte : elle n'a pas pu être traitée",
    401: "connexion nécessaire : connectez-vous d'abord",
    403: "accès refusé : votre compte ne donne pas accès à cette ressource",
    404: "introuvable : cette ressource n'existe pas ou ne vous est pas accessible",
    405: "action impossible ici",
    409: "conflit : la ressource a changé entre-temps, rechargez la page",
    429: "trop de demandes : patientez quelques instants puis réessayez",
}
SERVER_ERROR = "erreur du serveur : réessayez ; si cela recommence, prévenez votre AD"


def french_message(status: int) -> str:
    return MESSAGES.get(status) or (SERVER_ERROR if status >= 500 else "demande impossible")


def french_json(chunk, status: int):
    """The JSON body with its ``message`` in French (anything else unchanged)."""
    try:
        body = json.loads(chunk)
    except (TypeError, ValueError):
        return chunk
    if not isinstance(body, dict):
        return chunk
    if "message" in body or "status" in body:
        log.info("API %s: %s", status, body.get("message"))
        body["message"] = french_message(status)
        body.pop("reason", None)  # jupyter_server's English reason phrase
    return json.dumps(body, ensure_ascii=False)


def french_api_errors(handler_class) -> None:
    """Wrap ``handler_class.write_error`` (idempotent)."""
    original = handler_class.write_error
    if getattr(original, "_retkoop_french", False):
        return

    @functools.wraps(original)
    def write_error(self, status_code, **kwargs):
        real_write = self.write

        def write(chunk):
            real_write(french_json(chunk, status_code) if isinstance(chunk, (str, bytes)) else chunk)

        self.write = write
        try:
            original(self, status_code, **kwargs)
        finally:
            del self.write

    write_error._retkoop_french = True
    handler_class.write_error = write_error
