# Production image of the ITSM portal. gunicorn serves the web; the same image runs the Celery worker and beat
# (see docker-compose.yml). Configuration comes from the environment (DATABASE_URL, REDIS_URL, SECRET_KEY, ...).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ITSM_PROFILE=production \
    ITSM_VAR_DIR=/app/var \
    PYTHONPATH=/app

WORKDIR /app

# Dependencies first, in a layer of their own, so that a code change does not reinstall them all.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
# The settings and templates are read from /app (PYTHONPATH); the installed copy records the version.
# Building needs settings that load but reach nothing: a placeholder database URL and a key used only here.
RUN pip install --no-deps . \
    && export DATABASE_URL=postgres://build@localhost/build SECRET_KEY="build-only-$(python -c 'import secrets; print(secrets.token_urlsafe(48))')" \
    && python manage.py compile_translations \
    && python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin itsm \
    && mkdir -p /app/var/media \
    && chown -R itsm /app/var/media

USER itsm
EXPOSE 8000
CMD ["gunicorn", "itsm.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
