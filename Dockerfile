# The portal's image: web (gunicorn), worker, beat and the one-off commands all run from it.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=hwb_portal.settings.production
RUN apt-get update && apt-get install -y --no-install-recommends gettext && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir .
COPY . .
# collectstatic and compilemessages need settings, not secrets: give throwaway ones at build time.
RUN DJANGO_SECRET_KEY=build-only HWB_UPN_HASH_KEY=build-only-build-only-build-only-00 \
    DJANGO_ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput \
 && DJANGO_SECRET_KEY=build-only HWB_UPN_HASH_KEY=build-only-build-only-build-only-00 \
    DJANGO_ALLOWED_HOSTS=localhost python manage.py compilemessages
RUN useradd --create-home hwb && mkdir -p /app/var/media && chown -R hwb /app/var
USER hwb
EXPOSE 8000
# Behind a buffering proxy (deploy/nginx.conf), as docker-compose.yml runs it; never published.
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "hwb_portal.wsgi"]
