# Production image: gunicorn serves Django, the same image runs the Celery worker and beat.

# Third-party browser files (static/vendor/): the npm packages of package-lock.json and the partial plotly.js bundle,
# built as `make vendor` does (`npm run vendor`).
FROM node:20-slim AS vendor
WORKDIR /build
COPY package.json package-lock.json ./
COPY frontend ./frontend
RUN npm ci --no-audit --no-fund --loglevel=error && npm run --silent vendor

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
RUN useradd --create-home --uid 1000 okrplan
COPY pyproject.toml README.md ./
COPY okrplan ./okrplan
COPY core ./core
COPY companies ./companies
COPY history ./history
COPY objectives ./objectives
COPY initiatives ./initiatives
COPY budgets ./budgets
COPY crm ./crm
COPY sla ./sla
COPY reporting ./reporting
COPY review ./review
RUN pip install .
COPY . .
COPY --from=vendor /build/static/vendor ./static/vendor
RUN DEBUG=true python manage.py i18n compile \
 && DEBUG=true python manage.py collectstatic --noinput \
 && chown -R okrplan /app/var
USER okrplan
EXPOSE 8000
CMD ["gunicorn", "-c", "python:okrplan.gunicorn_conf", "okrplan.wsgi:application"]
