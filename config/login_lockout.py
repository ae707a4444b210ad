"""How many wrong admin passwords lock a login out (django-axes' `AXES_FAILURE_LIMIT`).

Two counts (`AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]`):
failures of a username from one address, and of that username from everywhere. The first
has a low limit (someone guessing from one place); the second a much higher one, so that a
stranger cannot lock the admin out everywhere with a few guesses, while guessing from many
addresses still ends at the cap.

django-axes compares one limit against the larger of the two counts (the username's, as it
includes the pair's), so the limit depends on the pair: the low one once this pair reached
it, the username cap until then.
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


def failure_limit(request: HttpRequest, credentials: dict | None) -> int:
    per_address = settings.AXES_ADDRESS_FAILURE_LIMIT
    per_username = max(settings.AXES_USERNAME_FAILURE_LIMIT, per_address)
    if _failures_from_this_address(request, credentials) >= per_address:
        return per_address
    return per_username


def _failures_from_this_address(request: HttpRequest, credentials: dict | None) -> int:
    attempts = AccessAttempt.objects.filter(
        username=get_client_username(request, credentials),
        ip_address=getattr(request, "axes_ip_address", None),
    )
    if settings.AXES_COOLOFF_TIME is not None:
        attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
