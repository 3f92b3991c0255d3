# syntax=docker/dockerfile:1
#
# torii as a container: a static binary on distroless, running as non-root.
#
#   docker build -t torii --build-arg VERSION=$(git describe --always) .
#   docker run -p 8080:8080 -v torii-data:/data torii
#
# The server listens on :$PORT when PORT is set (Cloud Run), else :8080.
# SQLite lives in /data (a volume); set TORII_DATABASE to a postgres:// URL
# for several instances. See docs/deploy.md.

FROM golang:1.26-bookworm AS build
WORKDIR /src
# Modules first: this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
# CGO_ENABLED=0: the SQLite driver is pure Go (modernc), so the binary is
# static and needs no libc in the final image.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath \
      -ldflags="-s -w -X github.com/toriihq/torii/cli.Version=${VERSION}" \
      -o /out/torii ./cmd/torii \
 && mkdir -p /out/data

# distroless/static: CA certificates (for Google), tzdata, /etc/passwd with
# the nonroot user (65532), and no shell.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/torii /torii
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /data
USER 65532:65532
# Logs as JSON: Cloud Logging and most collectors parse it into fields.
ENV TORII_LOG_FORMAT=json
EXPOSE 8080
VOLUME /data
# No shell or curl in the image: torii checks itself (TORII_ADDR or :$PORT).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/torii", "healthcheck"]
ENTRYPOINT ["/torii"]
CMD ["serve"]
