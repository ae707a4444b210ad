"""A pytest plugin loaded before Django (`-p tests.environment` in pyproject.toml).

The processes the tests start (runbot, qcluster, gunicorn) refuse a known SECRET_KEY, and
django-q2 reads the key once, at import: the test process and its children must share one
real key from the start. A developer's own SECRET_KEY, if exported, is left alone.
"""

import os
import secrets

os.environ.setdefault("SECRET_KEY", "tests-" + secrets.token_urlsafe(48))
