# shopctl image: the Config Management Plugin sidecar and the plugin generator.
#
#   docker build -t ghcr.io/shopset/shopctl:v0.1.0 \
#     --build-arg VERSION=v0.1.0 --build-arg COMMIT=$(git rev-parse HEAD) \
#     --build-arg DATE=$(git show -s --format=%cI HEAD) .
#
# The build context has no .git, so the version, commit and date come from build
# arguments (shopctl version, shopset_build_info).
#
# As the CMP sidecar, its command is argocd-cmp-server (copied into /var/run/argocd by
# Argo CD), which execs `shopctl plugin generate` per plugin.yaml. As the generator it runs
# `shopctl generator serve`, which needs git and ssh.
#
# The two FROM lines are the one place to bump the base images, each pinned to an exact
# release: the Go image to the `go` version of go.mod, the Debian image to a point release
# of the Debian the Go image is built on. A test (manifests/image_test.go) holds them to that.
#
# e2e/image.sh builds the same image without a registry, reading the last stage below: it
# runs its RUN line in a Debian root filesystem made by debootstrap and applies its COPY,
# USER, ENV, WORKDIR and ENTRYPOINT lines as they are. Keep that stage to those
# instructions, one RUN, and ENV as KEY=VALUE, or teach the script the new one.

FROM golang:1.26.8-bookworm AS build
WORKDIR /src
ENV GOTOOLCHAIN=local CGO_ENABLED=0
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION="" COMMIT="" DATE=""
RUN go build -trimpath -ldflags="-s -w \
      -X github.com/shopset/shopset/version.Version=${VERSION} \
      -X github.com/shopset/shopset/version.Commit=${COMMIT} \
      -X github.com/shopset/shopset/version.Date=${DATE}" \
    -o /out/shopctl ./cmd/shopctl

FROM debian:12.11-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git openssh-client \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 999 argocd \
 && useradd --uid 999 --gid 999 --home-dir /home/argocd --create-home argocd
COPY --from=build /out/shopctl /usr/local/bin/shopctl
COPY plugin/plugin.yaml /home/argocd/cmp-server/config/plugin.yaml
# Argo CD's convention for CMP sidecars: UID 999. HOME in /tmp keeps a read-only root
# filesystem workable for git and ssh.
USER 999:999
ENV HOME=/tmp
WORKDIR /home/argocd
ENTRYPOINT ["/usr/local/bin/shopctl"]
