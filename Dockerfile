# One image for the API (gunicorn), the Celery worker and the migration step.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY service ./service
COPY detection ./detection
COPY workers ./workers
RUN pip install --no-cache-dir -c constraints.txt . \
    && useradd --system --home /app claimdesk
USER claimdesk
EXPOSE 8000
CMD ["gunicorn", "--config", "python:service.gunicorn_conf", "service.wsgi:app"]
