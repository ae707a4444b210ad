import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse

logger = logging.getLogger(__name__)


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers and compose healthchecks.

    Anonymous callers get the status only; why the database failed goes to the log.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means unhealthy
        logger.error("Health check: the database does not answer", exc_info=True)
        return JsonResponse({"status": "error"}, status=503)
    return JsonResponse({"status": "ok"})
