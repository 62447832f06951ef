# syntax=docker/dockerfile:1
# Guardrails webhook image: `make docker-build` (or
# docker build --build-arg VERSION=$(git describe --tags --always --dirty) .).

FROM golang:1.26 AS build
WORKDIR /src
# Dependencies first: a layer that only changes with go.mod/go.sum.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# The same build line as the Makefile's GO_BUILD (a test in
# internal/deployrender compares them).
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/webhook ./cmd/webhook

# Static, no shell, no package manager; runs as uid/gid 65532.
FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/webhook /webhook
USER 65532:65532
ENTRYPOINT ["/webhook"]
CMD ["serve"]
