# sheetsync: the service, its command line and the Sheets API emulator in one
# small image.
#
#   docker build -t sheetsync .
#   docker run --rm -p 8080:8080 -v sheetsync-data:/data sheetsync demo
#
# See README.md ("Running with Docker") for production use. With podman, build
# with `--format docker` so that the HEALTHCHECK is kept (OCI images have none).

# ---- build ------------------------------------------------------------------
FROM debian:bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      gcc libc6-dev make cmake pkg-config \
      libmicrohttpd-dev libcurl4-openssl-dev libjson-c-dev libsqlite3-dev \
      libjwt-dev libssl-dev libjs-chart.js \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release \
      -DSHEETSYNC_TESTS=OFF -DSHEETSYNC_WERROR=ON \
 && cmake --build /build -j"$(nproc)" --target sheetsync sheets-emulator \
 && strip /build/sheetsync /build/sheets-emulator \
 && /build/sheetsync --version

# ---- runtime ----------------------------------------------------------------
FROM debian:bookworm-slim
# Only the shared libraries the binaries link, certificates for Google's TLS,
# time zones for the sheets' local dates, tini as PID 1 (it forwards SIGTERM
# and reaps the demo's emulator) and the sqlite3 shell for online backups.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libmicrohttpd12 libcurl4 libjson-c5 libsqlite3-0 libjwt0 libssl3 \
      ca-certificates tzdata tini sqlite3 \
 && rm -rf /var/lib/apt/lists/* /usr/bin/tini-static \
 && groupadd --gid 10001 sheetsync \
 && useradd --uid 10001 --gid sheetsync --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin sheetsync \
 && mkdir -p /data \
 && chown sheetsync:sheetsync /data \
 && chmod 0750 /data

COPY --from=build /build/sheetsync /build/sheets-emulator /usr/local/bin/
COPY data/issues.csv /usr/share/sheetsync/issues.csv
COPY docker/entrypoint.sh /usr/local/bin/docker-entrypoint
COPY docker/healthcheck.sh /usr/local/bin/sheetsync-healthcheck
COPY docker/demo.sh /usr/local/lib/sheetsync/demo.sh
# Fails the build when a library the binaries need is missing here.
RUN ! ldd /usr/local/bin/sheetsync /usr/local/bin/sheets-emulator | grep 'not found'

ENV SHEETSYNC_BIND=0.0.0.0 \
    SHEETSYNC_PORT=8080 \
    SHEETSYNC_DB=/data/sheetsync.db
VOLUME /data
WORKDIR /data
EXPOSE 8080
USER 10001:10001
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["/usr/local/bin/sheetsync-healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/docker-entrypoint"]
CMD ["serve"]
