# syntax=docker/dockerfile:1
#
# postwatch container image: build with BuildKit from the repository root,
#   docker build -t postwatch:0.1.0 .
# Not built in this repository's CI: the development machines have no Docker engine.
# scripts/check-deploy lints this file (checkov) where checkov is installed.

# ---- build ---------------------------------------------------------------------------
FROM rust:1.95-bookworm AS builder

# rdkafka builds librdkafka from source: a C toolchain (in the image), cmake, OpenSSL
# and zlib headers, pkg-config to find them.
RUN apt-get update \
    && apt-get install -y --no-install-recommends cmake libssl-dev zlib1g-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /build
# Everything Cargo needs to read the manifest (it names the lib, the bin, the bench and
# the integration tests) and the rule packs that src/ compiles in with include_str!.
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY rules ./rules
COPY benches ./benches
COPY tests ./tests
# Cache mounts keep the registry and target dir between builds; the binary is copied
# out because the target cache mount is not part of the image.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/build/target \
    cargo build --release --locked --bin postwatch \
    && cp target/release/postwatch /usr/local/bin/postwatch

# ---- runtime -------------------------------------------------------------------------
FROM debian:bookworm-slim

# ca-certificates: TLS to Kafka (SASL_SSL) and to PagerDuty; libssl3: librdkafka's TLS.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3 \
    && rm -rf /var/lib/apt/lists/*

# A fixed, unprivileged id (>= 10000, clear of host users): the Deployment's
# runAsUser/runAsGroup use the same numbers.
RUN groupadd --system --gid 10001 postwatch \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin postwatch

COPY --from=builder /usr/local/bin/postwatch /usr/local/bin/postwatch

USER 10001:10001
# Admin server: /metrics, /healthz, /readyz (admin.listen, default 0.0.0.0:9464).
EXPOSE 9464

# Kubernetes probes the admin port over HTTP; no curl in the image for a Docker
# HEALTHCHECK, and none is needed there.
HEALTHCHECK NONE

# Exec form: postwatch is PID 1 and receives SIGTERM itself (drain, commit, leave the
# group, exit 0). No shell in between to swallow the signal.
ENTRYPOINT ["/usr/local/bin/postwatch"]
CMD ["run", "--config", "/etc/postwatch/postwatch.toml"]
