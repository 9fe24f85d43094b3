# One image for every Friends process (docs/OPERATIONS.md, "A container image"): gunicorn by
# default; the same image runs the live updates, the workers and the release commands:
#   docker run friends uvicorn friends_site.asgi:application --host 0.0.0.0 --port 8001 ...
#   docker run friends python manage.py rqworker media --with-scheduler
#   docker run friends python manage.py migrate --no-input

# The virtualenv is built where a C compiler is at hand (for any requirement without a wheel),
# then copied alone into the final image.
FROM python:3.11-slim AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.txt /tmp/requirements.txt
RUN pip install --no-cache-dir --upgrade pip \
    && pip install --no-cache-dir -r /tmp/requirements.txt

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=friends_site.settings \
    WEB_CONCURRENCY=4 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home friends
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY . /app
# Static files with their hashed names and compressed copies (whitenoise), made with the
# production settings: no secret key, database or Redis is needed for it. var/ stays writable
# for the defaults that write there (local MEDIA_ROOT, the file email backend).
# PROMETHEUS_MULTIPROC_DIR: gunicorn's workers keep their metrics' counts there, for /metrics
# to add them up (gunicorn.conf.py empties it at start; other processes leave it alone).
RUN mkdir -p /app/var/media /tmp/prometheus \
    && DJANGO_DEBUG=0 python manage.py collectstatic --no-input -v0 \
    && chown -R friends:friends /app/var /tmp/prometheus
USER friends
EXPOSE 8000 8001
# gunicorn reads gunicorn.conf.py from /app and WEB_CONCURRENCY for its worker count; its
# workers' heartbeat files go to memory, not to the container's overlay filesystem.
CMD ["gunicorn", "friends_site.wsgi:application", "--bind", "0.0.0.0:8000", "--worker-tmp-dir", "/dev/shm"]
