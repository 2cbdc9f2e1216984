# shopctl image: the Config Management Plugin sidecar (and, later, the generator).
#
#   docker build -t shopset/shopctl .
#
# Argo CD's repo-server runs it as a sidecar: its command is argocd-cmp-server (copied into
# /var/run/argocd by Argo CD), which execs `shopctl plugin generate` per plugin.yaml.

FROM golang:1.26 AS build
WORKDIR /src
ENV GOTOOLCHAIN=local CGO_ENABLED=0
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -trimpath -ldflags="-s -w" -o /out/shopctl ./cmd/shopctl

# Static binary, no shell, no package manager.
FROM gcr.io/distroless/static-debian12
COPY --from=build /out/shopctl /usr/local/bin/shopctl
COPY plugin/plugin.yaml /home/argocd/cmp-server/config/plugin.yaml
# Argo CD's convention for CMP sidecars: UID 999.
USER 999:999
WORKDIR /home/argocd
ENTRYPOINT ["/usr/local/bin/shopctl"]
