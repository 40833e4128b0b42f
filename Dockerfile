# deskops container image: the wheel built from this tree and installed from requirements.lock.
# The build stage runs deploy/install.sh, exactly what tests/integration/test_wheel_install.py
# runs for real; the final stage is the resulting virtualenv on a slim Python, as a non-root user.
#   docker build -t deskops .
#   docker run --env-file .env -p 3000:3000 deskops            (see compose.yaml, docs/operations.md)

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY . .
RUN sh deploy/install.sh /opt/deskops

FROM ${PYTHON_IMAGE}
ENV PATH=/opt/deskops/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 \
    PORT=3000
RUN groupadd --system --gid 10001 deskops \
    && useradd --system --uid 10001 --gid deskops --home-dir /var/lib/deskops --shell /usr/sbin/nologin deskops \
    && mkdir -p /var/lib/deskops \
    && chown deskops:deskops /var/lib/deskops
COPY --from=build /opt/deskops /opt/deskops
USER 10001:10001
WORKDIR /var/lib/deskops
EXPOSE 3000
# Liveness only: readiness (database reachable) is /readyz, for the load balancer.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"]
ENTRYPOINT ["deskops"]
CMD ["serve"]
