# FieldVisit application image. Used by docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY fieldvisit ./fieldvisit
RUN pip install --no-cache-dir .
COPY templates ./templates
COPY static ./static
COPY migrations ./migrations
# Run from the source tree so templates/, static/ and migrations/ are found beside the package.
RUN pip install --no-cache-dir --no-deps -e . && useradd --create-home fieldvisit && mkdir -p /app/var \
    && chown fieldvisit /app/var
USER fieldvisit
EXPOSE 8000
CMD ["sh", "-c", "fieldvisit migrate && fieldvisit serve --host 0.0.0.0 --port 8000"]
