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
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _refused(400, "not JSON")
    if not isinstance(payload, dict):
        return _refused(400, "not a JSON object")
    if "verification_token" in payload and "type" not in payload:
        token = payload["verification_token"]
        if not isinstance(token, str) or not token.strip():
            return _refused(400, "empty verification token")
        services.webhook_handshake_record(
            token=token.strip(), remote_addr=request.META.get("REMOTE_ADDR", "")
        )
        return JsonResponse({"ok": True})
    key = services.webhook_key()
    if not key:
        return _refused(
            403,
            "no verification token yet: confirm the handshake in the admin or set "
            "NOTION_WEBHOOK_VERIFICATION_TOKEN",
        )
    if not signature_valid(body, request.headers.get("X-Notion-Signature"), key):
        return _refused(401, "missing or wrong X-Notion-Signature")
    outcome = services.webhook_event_receive(payload=payload)
    return JsonResponse({"ok": True, "event": outcome})


def _refused(status: int, reason: str) -> JsonResponse:
    services.webhook_tally("refused")
    logger.warning("Notion webhook refused (%s): %s", status, reason)
    return JsonResponse({"ok": False, "error": reason}, status=status)
