# The image docker-compose.yml runs for web, worker, beat and migrate.
FROM python:3.13-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.lock pyproject.toml ./
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
# With the manifest (hashed names, compressed copies) that DJANGO_MANIFEST_STATIC=1 serves.
RUN DJANGO_SECRET_KEY=build-only DJANGO_MANIFEST_STATIC=1 python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "care2.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
