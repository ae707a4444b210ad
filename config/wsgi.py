import os
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

from config.security import refuse_unsafe_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
try:
    refuse_unsafe_secret_key()  # reads the settings: a malformed one fails here too
except ImproperlyConfigured as exc:
    # One line, and gunicorn stops (App failed to load) instead of booting workers forever.
    sys.stderr.write(f"{exc}\n")
    raise SystemExit(4) from None
application = get_wsgi_application()
