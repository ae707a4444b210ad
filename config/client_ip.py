"""The address of the client behind our own reverse proxies (the admin login's lockouts).

Each proxy appends the address it received the request from to X-Forwarded-For, so with
TRUSTED_PROXY_COUNT proxies in front of the web app the client's address is the
TRUSTED_PROXY_COUNT-th entry from the right: whatever stands left of it was written by the
client and proves nothing (a new made-up address per request would otherwise be a new
lockout key per guess). Without a proxy (0) it is the connection's address, REMOTE_ADDR.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """`AXES_CLIENT_IP_CALLABLE`: the entry our outermost proxy appended, else REMOTE_ADDR."""
    remote = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    entries = [entry.strip() for entry in header.split(",") if entry.strip()]
    if len(entries) < count:
        return remote  # it did not come through all our proxies
    try:
        return str(ipaddress.ip_address(entries[-count]))
    except ValueError:
        return remote
