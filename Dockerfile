# syntax=docker/dockerfile:1

# --- build -------------------------------------------------------------------------------------
FROM rust:1.95-bookworm AS builder
WORKDIR /src
COPY . .
# The cache mounts keep the registry and target/ between builds; the binary is copied out of
# target/ because a cache mount is not part of the image.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin springboard \
    && install -m 0755 target/release/springboard /usr/local/bin/springboard

# --- run ---------------------------------------------------------------------------------------
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system springboard \
    && useradd --system --gid springboard --home-dir /var/lib/springboard --create-home \
        --shell /usr/sbin/nologin springboard
COPY --from=builder /usr/local/bin/springboard /usr/local/bin/springboard

# The working directory is writable by the service user, so that the embedded SQLite default
# (springboard.db and its generated JWT key file) also works when no DATABASE_URL is given.
WORKDIR /var/lib/springboard
USER springboard:springboard

ENV SPRINGBOARD_BIND=0.0.0.0:8080
EXPOSE 8080

ENTRYPOINT ["springboard"]
CMD ["serve"]
