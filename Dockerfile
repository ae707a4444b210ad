# The integrations service: one image for the web admin, the worker and the bot
# (compose.yaml runs it three times with different commands).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Static files for the admin, served by WhiteNoise. Settings need no secrets for this.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput --verbosity 0 \
    && useradd --system --uid 10001 --home-dir /app app \
    && mkdir -p /app/var && chown app /app/var

USER app
EXPOSE 8000
# gunicorn binds 0.0.0.0:$PORT when PORT is set.
ENV PORT=8000
CMD ["gunicorn", "config.wsgi", "--access-logfile", "-", "--timeout", "60"]
