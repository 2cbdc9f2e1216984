#!/usr/bin/env bash
# Builds the shopctl image without a registry and runs it the way Argo CD does:
#
#   e2e/image.sh [--save FILE]    (--save writes the image as an OCI archive: podman load -i FILE)
#   e2e/image.sh --prepare        (only makes the cached root filesystem, for CI to do early)
#
# SHOPSET_IMAGE_MIRROR, SHOPSET_IMAGE_SECURITY_MIRROR, SHOPSET_IMAGE_VERSION,
# SHOPSET_IMAGE_STORAGE_DRIVER (overlay or vfs) and SHOPSET_IMAGE_ARGOCD (the argocd binary
# whose cmp-server runs in the image; default the end-to-end suite's, from e2e/build.sh;
# `none` leaves that check out) override what it finds out for itself.
#
# The image is the Dockerfile's last stage, built from Debian packages and this checkout:
#   - its base is a Debian root filesystem made by debootstrap (minbase) for the release the
#     stage's FROM names, from the Debian archive apt uses on this machine
#     (SHOPSET_IMAGE_MIRROR overrides it), in which the stage's RUN line runs as it is, in a
#     chroot; that root filesystem is cached under $SHOPSET_E2E_CACHE/image (default
#     ~/.cache/shopset-e2e), keyed by the FROM and RUN lines, so only a change to them (the
#     package list, the user) makes it again. It holds that release's packages as the archive
#     has them when it is made (its latest point release), where the Dockerfile starts from
#     the point release its FROM pins and installs the RUN line's packages as they are then;
#   - shopctl is built here with the Dockerfile's build flags and stamped with the version
#     (SHOPSET_IMAGE_VERSION, default `git describe --tags --always --dirty`), commit and
#     commit date;
#   - its COPY, USER, ENV, WORKDIR and ENTRYPOINT lines are applied as they are, by buildah.
# Then it runs the image with podman (runc), as UID 999 on a read-only root filesystem with
# every capability dropped, as manifests/ run it, and checks:
#   - the layout: user and group 999, HOME, the working directory, shopctl on PATH, git, ssh
#     and the CA certificates, plugin.yaml at Argo CD's path, and that / cannot be written;
#   - `shopctl plugin generate`, in a checkout of each ShopSet's tier of the example repository
#     with the plugin env examples/applicationset.yaml gives it, prints byte for byte what
#     `shopctl render NAME --dir CHECKOUT` prints here;
#   - Argo CD's own argocd-cmp-server, mounted where Argo CD puts it, serves plugin.yaml from
#     the image, and the repo-server's client code (plugin/image_test.go) gets the same
#     manifests from it as `shopctl render` gives here;
#   - `shopctl generator serve` on the example repository (mounted read-only) becomes ready
#     and answers getparams with the ShopSets `shopctl list --repo` gives here, and refuses
#     a wrong token;
#   - `shopctl version` prints the stamped version, commit and date.
# It installs what it needs from Debian (podman, buildah, runc, debootstrap, uidmap, jq, curl) and
# must run as root. Everything listens on 127.0.0.1.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${SHOPSET_E2E_CACHE:-$HOME/.cache/shopset-e2e}/image"
export GOTOOLCHAIN=local

say() { echo "image: $*" >&2; }
fail() {
	echo "image: FAIL: $*" >&2
	exit 1
}

save="" prepare=""
while [ $# -gt 0 ]; do
	case "$1" in
	--save) save="$(realpath -m "${2:?--save needs a file}")"; shift 2 ;;
	--prepare) prepare=1; shift ;;
	*) echo "usage: $0 [--save FILE | --prepare]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || fail "must run as root (debootstrap, chroot, buildah and podman as root)"
start=$SECONDS

# --- tools --------------------------------------------------------------------------------
need_apt=()
for tool in podman buildah runc debootstrap jq curl git newuidmap:uidmap; do
	command -v "${tool%%:*}" >/dev/null || need_apt+=("${tool#*:}")
done
if [ "${#need_apt[@]}" -gt 0 ]; then
	say "installing ${need_apt[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# --- the Dockerfile's last stage ----------------------------------------------------------
# Its instructions, one per line (continuations joined, comments dropped), from the last FROM.
mapfile -t stage < <(
	sed -e ':a' -e '/\\$/{N;s/\\\n//;ba' -e '}' "$root/Dockerfile" |
		grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' |
		tac | sed -n '1,/^FROM /p' | tac
)
from="" run="" user="" workdir="" entrypoint=""
envs=() copies=()
for line in "${stage[@]}"; do
	read -r instr rest <<<"$line"
	case "$instr" in
	FROM) from="$rest" ;;
	RUN) [ -z "$run" ] || fail "the Dockerfile's last stage has more than one RUN: teach $0"; run="$rest" ;;
	COPY) copies+=("$rest") ;;
	USER) user="$rest" ;;
	ENV)
		for kv in $rest; do
			[[ "$kv" =~ ^[A-Za-z_][A-Za-z0-9_]*=[^\"\'\$]*$ ]] || fail "ENV $rest: only KEY=VALUE without quotes or variables: teach $0"
			envs+=("$kv")
		done
		;;
	WORKDIR) workdir="$rest" ;;
	ENTRYPOINT) entrypoint="$rest" ;;
	*) fail "the Dockerfile's last stage has $instr, which $0 does not apply: teach it" ;;
	esac
done
for v in from run user workdir entrypoint; do
	[ -n "${!v}" ] || fail "the Dockerfile's last stage has no ${v^^}"
done
jq -e 'type == "array" and length > 0' <<<"$entrypoint" >/dev/null || fail "ENTRYPOINT $entrypoint: only the JSON form"
[[ "$from" =~ ^debian:([0-9]+)\.[0-9]+-slim$ ]] || fail "FROM $from: expected debian:MAJOR.POINT-slim"
case "${BASH_REMATCH[1]}" in
12) suite=bookworm ;;
13) suite=trixie ;;
*) fail "FROM $from: which Debian suite is that? teach $0" ;;
esac
uid="${user%%:*}"
gid="${user#*:}"

# --- the root filesystem: debootstrap, then the RUN line, cached --------------------------
# The Debian archive (and its security archive) apt uses here, from deb822 URIs: lines and
# one-line deb entries.
apt_uris() {
	local f files=()
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && files+=("$f")
	done
	[ "${#files[@]}" -gt 0 ] || return 0
	awk '$1 ~ /^#/ { next }
		$1 == "URIs:" { for (i = 2; i <= NF; i++) print $i }
		$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' "${files[@]}" 2>/dev/null || true
}
mirror="${SHOPSET_IMAGE_MIRROR:-$(apt_uris | grep -E '/debian/?$' | head -n 1 || true)}"
security="${SHOPSET_IMAGE_SECURITY_MIRROR:-$(apt_uris | grep -E '/debian-security/?$' | head -n 1 || true)}"
[ -n "$mirror" ] || fail "no Debian archive in apt's sources: set SHOPSET_IMAGE_MIRROR"

# Bump recipe when the steps below change what the root filesystem holds.
recipe=1
key="$(printf '%s\n' "$recipe" "$suite" "$from" "$run" | sha256sum | cut -c1-16)"
rootfs="$cache/rootfs-$key"
mkdir -p "$cache"
# One run at a time makes, replaces or copies the cached root filesystem.
exec 9>"$cache/.lock"
flock 9
if [ -f "$rootfs/.shopset-complete" ]; then
	say "root filesystem $key is cached"
else
	say "making root filesystem $key: debootstrap $suite (two or three minutes)"
	t=$SECONDS
	rm -rf "$cache"/rootfs-* "$cache/rootfs.tmp"
	tmp="$cache/rootfs.tmp"
	debootstrap --variant=minbase "$suite" "$tmp" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$cache/debootstrap.log" >&2; fail "debootstrap $suite from $mirror failed (log: $cache/debootstrap.log)"; }
	# apt's sources as Debian's images have them: the release, its updates, its security archive.
	rm -f "$tmp/etc/apt/sources.list"
	{
		printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$mirror" "$suite" "$suite"
		if [ -n "$security" ]; then
			printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$security" "$suite"
		fi
	} >"$tmp/etc/apt/sources.list.d/debian.sources"
	# The Dockerfile's RUN line, as a build runs it: /bin/sh -c, as root, in the new root.
	chroot "$tmp" /usr/bin/env -i HOME=/root DEBIAN_FRONTEND=noninteractive \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/sh -c "$run" >"$cache/run.log" 2>&1 ||
		{ tail -n 20 "$cache/run.log" >&2; fail "the Dockerfile's RUN line failed in the root filesystem (log: $cache/run.log)"; }
	# What Debian's slim images leave out, and what belongs to this machine, not the image.
	rm -rf "$tmp"/var/cache/apt/* "$tmp"/var/lib/apt/lists/* "$tmp"/var/log/* \
		"$tmp"/usr/share/man/* "$tmp"/usr/share/info/* "$tmp"/usr/share/locale/* \
		"$tmp"/usr/share/lintian "$tmp"/etc/resolv.conf "$tmp"/etc/hostname
	find "$tmp/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
	find "$tmp/usr/share/doc" -mindepth 1 -type d -empty -delete
	touch "$tmp/.shopset-complete"
	mv "$tmp" "$rootfs"
	say "root filesystem made in $((SECONDS - t))s"
fi
[ -z "$prepare" ] || exit 0
argocd="${SHOPSET_IMAGE_ARGOCD:-${SHOPSET_E2E_CACHE:-$HOME/.cache/shopset-e2e}/bin/argocd-v2}"
[ "$argocd" = none ] || [ -x "$argocd" ] ||
	fail "no argocd binary at $argocd for its cmp-server: e2e/build.sh builds it (or SHOPSET_IMAGE_ARGOCD=none)"

# --- build --------------------------------------------------------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/shopset-image.XXXXXX")"
# Storage of its own, removed at the end: overlay where the kernel has it and the directory
# is not itself on overlayfs, else vfs (slower: a full copy per container);
# SHOPSET_IMAGE_STORAGE_DRIVER chooses.
driver=vfs
if grep -qw overlay /proc/filesystems && [ "$(stat -f -c %T "$work")" != overlayfs ]; then
	driver=overlay
fi
driver="${SHOPSET_IMAGE_STORAGE_DRIVER:-$driver}"
store=(--root "$work/storage" --runroot "$work/run" --storage-driver "$driver")
buildah=(buildah "${store[@]}")
podman=(podman "${store[@]}" --tmpdir "$work/tmp" --runtime runc --cgroup-manager cgroupfs --events-backend file)
gen="shopset-image-generator-$$"
cleanup() {
	"${podman[@]}" rm -f -i -t 0 "$gen" "shopset-image-cmp-$$" >/dev/null 2>&1 || true
	"${buildah[@]}" rm -a >/dev/null 2>&1 || true
	"${podman[@]}" rmi -a -f >/dev/null 2>&1 || true
	rm -rf "$work" || say "could not remove $work"
}
trap cleanup EXIT

version="${SHOPSET_IMAGE_VERSION:-$(git -C "$root" describe --tags --always --dirty)}"
commit="$(git -C "$root" rev-parse HEAD)"
date="$(git -C "$root" show -s --format=%cI HEAD)"
say "building shopctl $version"
# The Dockerfile's build stage's flags.
(cd "$root" && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w \
	-X github.com/shopset/shopset/version.Version=$version \
	-X github.com/shopset/shopset/version.Commit=$commit \
	-X github.com/shopset/shopset/version.Date=$date" \
	-o "$work/shopctl" ./cmd/shopctl)

image="localhost/shopctl:$version"
say "building $image ($driver storage)"
t=$SECONDS
ctr="$("${buildah[@]}" from scratch)"
mnt="$("${buildah[@]}" mount "$ctr")"
cp -a "$rootfs/." "$mnt/"
rm -f "$mnt/.shopset-complete"
flock -u 9
for c in "${copies[@]}"; do
	read -r -a args <<<"$c"
	case "${#args[@]}:${args[0]}" in
	"3:--from=build")
		[ "${args[1]}" = /out/shopctl ] || fail "COPY $c: the build stage makes /out/shopctl only"
		src="$work/shopctl" dst="${args[2]}" ;;
	2:*)
		src="$root/${args[0]}" dst="${args[1]}"
		[ -f "$src" ] || fail "COPY $c: no file $src" ;;
	*) fail "COPY $c: only COPY FILE DEST and COPY --from=build /out/shopctl DEST: teach $0" ;;
	esac
	[[ "$dst" == /* && "$dst" != */ ]] || fail "COPY $c: the destination must be an absolute file path"
	# As COPY does: missing directories made root's, the file root's with its mode.
	mkdir -p "$mnt$(dirname "$dst")"
	cp --preserve=mode "$src" "$mnt$dst"
	chown 0:0 "$mnt$dst"
done
"${buildah[@]}" umount "$ctr" >/dev/null
config=(--user "$user" --workingdir "$workdir" --entrypoint "$entrypoint"
	# Debian's images set PATH; an image made from scratch has none unless it is given.
	--env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	--label "org.opencontainers.image.version=$version" --label "org.opencontainers.image.revision=$commit")
for kv in "${envs[@]}"; do config+=(--env "$kv"); done
"${buildah[@]}" config "${config[@]}" "$ctr"
"${buildah[@]}" commit -q --rm "$ctr" "$image" >/dev/null
say "image built in $((SECONDS - t))s: $("${podman[@]}" image inspect --format '{{.Size}}' "$image" | numfmt --to=iec) bytes"

# --- run ----------------------------------------------------------------------------------
# As manifests/ run it: the image's own user, read-only root, no capabilities, no privilege
# escalation. runc needs explicit limits here, no higher than this shell's.
nofile="$(ulimit -Hn)"
if [ "$nofile" = unlimited ] || [ "$nofile" -gt 65536 ]; then nofile=65536; fi
nproc="$(ulimit -Hu)"
if [ "$nproc" = unlimited ] || [ "$nproc" -gt 4096 ]; then nproc=4096; fi
runopts=(--read-only --cap-drop ALL --security-opt no-new-privileges
	--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc" --log-driver k8s-file)
run() { "${podman[@]}" run --rm --network host "${runopts[@]}" "$@"; }

say "check: the layout, as UID $uid on a read-only root"
plugin_dst=""
for c in "${copies[@]}"; do
	read -r -a args <<<"$c"
	[ "${args[0]}" = plugin/plugin.yaml ] && plugin_dst="${args[1]}"
done
[ -n "$plugin_dst" ] || fail "the Dockerfile's last stage does not COPY plugin/plugin.yaml"
home=""
for kv in "${envs[@]}"; do [ "${kv%%=*}" = HOME ] && home="${kv#HOME=}"; done
# shellcheck disable=SC2016 # expanded by the container's shell
got="$(run --entrypoint /bin/sh "$image" -c '
	echo "uid $(id -u) gid $(id -g)"
	awk '\''$2 == "/" { split($4, o, ","); print "root " o[1] }'\'' /proc/mounts
	echo "home $HOME"
	echo "pwd $(pwd)"
	echo "shopctl $(command -v shopctl)"
	git --version >/dev/null && echo git
	ssh -V 2>/dev/null && echo ssh
	test -s /etc/ssl/certs/ca-certificates.crt && echo certificates
	sha256sum "$1" | cut -d" " -f1
	for d in / /usr/local/bin "$(pwd)"; do
		if touch "$d/.write-test" 2>/dev/null; then echo "$d writable"; else echo "$d read-only"; fi
	done
	touch "$HOME/.write-test" && echo "HOME writable"' sh "$plugin_dst" 2>&1)" || fail "the layout check did not run: $got"
want="uid $uid gid $gid
root ro
home $home
pwd $workdir
shopctl /usr/local/bin/shopctl
git
ssh
certificates
$(sha256sum "$root/plugin/plugin.yaml" | cut -d' ' -f1)
/ read-only
/usr/local/bin read-only
$workdir read-only
HOME writable"
[ "$got" = "$want" ] || fail "the image, run as Argo CD runs it, is not what the Dockerfile says (want <, got >):
$(diff <(echo "$want") <(echo "$got") || true)"

say "check: version"
got="$(run "$image" version -o json)"
jq -e --arg v "$version" --arg c "$commit" --arg d "$date" \
	'.version == $v and .commit == $c and .date == $d' <<<"$got" >/dev/null ||
	fail "shopctl version in the image: want $version $commit $date, got $got"

# The example repository, built by the demo (main and the tier branches).
repo="$work/example/repo"
"$work/shopctl" demo --keep "$work/example" >/dev/null
git -C "$repo" show main:shopsets.yaml >"$work/shopsets.yaml"
"$work/shopctl" list --repo "$repo" -o json >"$work/shopsets.json"
count="$(jq length "$work/shopsets.json")"
[ "$count" -gt 0 ] || fail "the example repository lists no ShopSets"

say "check: plugin generate in the image = render here, for each of the $count ShopSets"
i=0
while [ "$i" -lt "$count" ]; do
	s="$(jq -c ".[$i]" "$work/shopsets.json")"
	name="$(jq -r .name <<<"$s")"
	rev="$(jq -r .revision <<<"$s")"
	# The checkout Argo CD streams to the sidecar: the tier's files at the pinned revision.
	checkout="$work/checkout-$rev"
	if [ ! -d "$checkout" ]; then
		mkdir "$checkout"
		git -C "$repo" archive "$rev" | tar -x -C "$checkout"
	fi
	host="$work/render/$name.yaml"
	mkdir -p "$work/render"
	"$work/shopctl" render "$name" -f "$work/shopsets.yaml" --dir "$checkout" >"$host"
	# The plugin env of examples/applicationset.yaml, as Argo CD hands it to the plugin; the
	# command is plugin.yaml's, found on PATH as argocd-cmp-server finds it.
	run -v "$checkout:/tmp/app:ro" -w /tmp/app --entrypoint shopctl \
		-e "ARGOCD_ENV_SHOPSET_NAME=$name" \
		-e "ARGOCD_ENV_SHOPSET_TIER=$(jq -r .tier <<<"$s")" \
		-e "ARGOCD_ENV_SHOPSET_CONFIGURATION=$(jq -r .configuration <<<"$s")" \
		-e "ARGOCD_ENV_SHOPSET_CLUSTER=$(jq -r .cluster.name <<<"$s")" \
		-e "ARGOCD_ENV_SHOPSET_NAMESPACE=$(jq -r .namespace <<<"$s")" \
		-e "ARGOCD_ENV_SHOPSET_COMPONENTS=$(jq -r .componentsCSV <<<"$s")" \
		-e "ARGOCD_ENV_SHOPSET_MAX_MEMORY_LIMIT=$(jq -r .maxMemoryLimit <<<"$s")" \
		-e "ARGOCD_ENV_SHOPSET_ALLOW_CLUSTER_SCOPED=$(jq -r .allowClusterScopedCSV <<<"$s")" \
		"$image" plugin generate >"$work/image.yaml" || fail "plugin generate for $name failed in the image"
	[ -s "$host" ] || fail "render $name printed nothing"
	cmp -s "$host" "$work/image.yaml" || fail "plugin generate for $name in the image differs from render here:
$(diff "$host" "$work/image.yaml" | head -n 20)"
	i=$((i + 1))
done

if [ "$argocd" = none ]; then
	say "check: Argo CD's cmp-server in the image: left out (SHOPSET_IMAGE_ARGOCD=none)"
else
	say "check: Argo CD's cmp-server in the image, called by the repo-server's client code"
	t=$SECONDS
	cmp="shopset-image-cmp-$$"
	# The sidecar's mounts: argocd-cmp-server from Argo CD's var-files, the plugins socket
	# directory shared with the repo-server; its /tmp is the read-only root's tmpfs.
	mkdir -m 0777 "$work/plugins"
	"${podman[@]}" run -d --name "$cmp" --network none "${runopts[@]}" \
		-v "$argocd:/var/run/argocd/argocd-cmp-server:ro" -v "$work/plugins:/home/argocd/cmp-server/plugins" \
		--entrypoint /var/run/argocd/argocd-cmp-server "$image" >/dev/null
	deadline=$((SECONDS + 60))
	until [ -S "$work/plugins/shopset.sock" ]; do
		if [ "$SECONDS" -ge "$deadline" ] || [ "$("${podman[@]}" inspect --format '{{.State.Running}}' "$cmp")" != true ]; then
			fail "argocd-cmp-server in the image never served plugin.yaml:
$("${podman[@]}" logs "$cmp" 2>&1 | tail -n 20)"
		fi
		sleep 0.2
	done
	jq --arg w "$work" '[.[] | {params: ., checkout: ($w + "/checkout-" + .revision), render: ($w + "/render/" + .name + ".yaml")}]' \
		"$work/shopsets.json" >"$work/cases.json"
	# With -race, as CI's tests just built it.
	(cd "$root" && SHOPSET_IMAGE_CMP_PLUGINS="$work/plugins" SHOPSET_IMAGE_CMP_CASES="$work/cases.json" \
		go test -race -count=1 -v -run '^TestImageCMPServer$' ./plugin/ >"$work/cmp-test.log" 2>&1) ||
		fail "the repo-server's client code through argocd-cmp-server in the image:
$(tail -n 40 "$work/cmp-test.log")
$("${podman[@]}" logs "$cmp" 2>&1 | tail -n 10)"
	grep -q -- '^--- PASS: TestImageCMPServer ' "$work/cmp-test.log" || fail "TestImageCMPServer did not run:
$(tail -n 20 "$work/cmp-test.log")"
	say "the cmp-server in the image rendered $(grep -c -- '^    --- PASS: TestImageCMPServer/' "$work/cmp-test.log") ShopSets alike in $((SECONDS - t))s"
	# argocd-cmp-server ignores SIGTERM.
	"${podman[@]}" rm -f -t 0 "$cmp" >/dev/null
fi

say "check: generator serve in the image answers getparams"
token="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s' "$token" >"$work/token"
chmod 0644 "$work/token"
# A copy of the repository owned by the container's user, as a volume would be (git reads
# no repository of another user), mounted read-only at the same path, so repoURL reads the
# same as here.
cp -a "$repo" "$work/served"
chown -R "$uid:$gid" "$work/served"
"${podman[@]}" run -d --name "$gen" --network host "${runopts[@]}" \
	-v "$work/served:$repo:ro" -v "$work/token:/var/run/secrets/shopset/token:ro" \
	--tmpfs /var/cache/shopset:rw,mode=0777 \
	"$image" generator serve --listen 127.0.0.1:0 --repo "$repo" \
	--token-file /var/run/secrets/shopset/token --cache-dir /var/cache/shopset >/dev/null
addr=""
deadline=$((SECONDS + 60))
while [ -z "$addr" ]; do
	[ "$SECONDS" -lt "$deadline" ] || fail "the generator never said where it serves:
$("${podman[@]}" logs "$gen" 2>&1 | tail -n 20)"
	[ "$("${podman[@]}" inspect --format '{{.State.Running}}' "$gen")" = true ] || fail "the generator exited:
$("${podman[@]}" logs "$gen" 2>&1 | tail -n 20)"
	addr="$("${podman[@]}" logs "$gen" 2>&1 | jq -R -r 'fromjson? | select(.msg == "serving") | .address' | head -n 1)"
	[ -n "$addr" ] || sleep 0.2
done
until curl -fsS --max-time 5 -o /dev/null "http://$addr/readyz" 2>/dev/null; do
	[ "$SECONDS" -lt "$deadline" ] || fail "the generator never became ready:
$("${podman[@]}" logs "$gen" 2>&1 | tail -n 20)"
	sleep 0.2
done
body='{"applicationSetName":"x","input":{"parameters":{}}}'
code="$(curl -sS --max-time 30 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer not-$token" \
	-H 'Content-Type: application/json' -d "$body" "http://$addr/api/v1/getparams.execute")"
[ "$code" = 401 ] || [ "$code" = 403 ] || fail "getparams with a wrong token answered $code"
curl -fsS --max-time 30 -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$body" \
	"http://$addr/api/v1/getparams.execute" >"$work/getparams.json" || fail "getparams failed:
$("${podman[@]}" logs "$gen" 2>&1 | tail -n 20)"
jq -e --slurpfile want "$work/shopsets.json" '.output.parameters == $want[0]' "$work/getparams.json" >/dev/null ||
	fail "getparams in the image differs from shopctl list --repo here:
$(diff <(jq -S . "$work/shopsets.json") <(jq -S .output.parameters "$work/getparams.json") | head -n 20)"
"${podman[@]}" rm -f -t 5 "$gen" >/dev/null

if [ -n "$save" ]; then
	"${podman[@]}" save -q --format oci-archive -o "$save" "$image"
	say "saved $image to $save"
fi
say "ok: $image ($count ShopSets rendered alike, getparams answered) in $((SECONDS - start))s"
