"""`POST /notion/webhook/`: Notion's integration webhook. Thin: check, store, answer."""

from __future__ import annotations

import json
import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations.webhooks import services
from integrations.webhooks.signature import signature_valid

logger = logging.getLogger(__name__)

#: Notion's events are about a kilobyte; anything much larger is not from Notion.
MAX_BODY = 64 * 1024
NO_KEY = (
    "no verification token yet: confirm the handshake in the admin or set "
    "NOTION_WEBHOOK_VERIFICATION_TOKEN"
)


@csrf_exempt
@require_POST
def notion_webhook(request: HttpRequest) -> JsonResponse:
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        return _refused(413, "body too large")
    body = request.body
    if len(body) > MAX_BODY:
        return _refused(413, "body too large")
    signature = request.headers.get("X-Notion-Signature")
    key = services.webhook_key()
    if signature is not None:
        # Signed: check it before reading anything (a forged body is never parsed).
        if not key:
            return _refused(403, NO_KEY)
        if not signature_valid(body, signature, key):
            return _refused(401, "wrong X-Notion-Signature")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _refused(400, "not JSON")
    if not isinstance(payload, dict):
        return _refused(400, "not a JSON object")
    if signature is None:
        if "verification_token" in payload and "type" not in payload:
            return _handshake(request, payload["verification_token"])
        if not key:
            return _refused(403, NO_KEY)
        return _refused(401, "missing X-Notion-Signature")
    outcome = services.webhook_event_receive(payload=payload)
    return JsonResponse({"ok": True, "event": outcome})


def _handshake(request: HttpRequest, token: object) -> JsonResponse:
    """Notion's first POST to a new subscription: acknowledged, kept for a superuser to
    confirm (never trusted by itself)."""
    if not isinstance(token, str) or not token.strip():
        return _refused(400, "empty verification token")
    services.webhook_handshake_record(
        token=token.strip(),
        remote_addr=request.META.get("REMOTE_ADDR", ""),
        forwarded_for=request.headers.get("X-Forwarded-For", ""),
    )
    return JsonResponse({"ok": True})


def _refused(status: int, reason: str) -> JsonResponse:
    services.webhook_tally("refused")
    logger.warning("Notion webhook refused (%s): %s", status, reason)
    return JsonResponse({"ok": False, "error": reason}, status=status)
