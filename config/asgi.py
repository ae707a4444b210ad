import os
import sys

from django.core.asgi import get_asgi_application

from config.security import UnsafeSecretKey, refuse_unsafe_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
try:
    refuse_unsafe_secret_key()
except UnsafeSecretKey as exc:
    sys.stderr.write(f"{exc}\n")
    raise SystemExit(4) from None
application = get_asgi_application()
