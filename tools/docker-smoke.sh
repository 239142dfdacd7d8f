#!/usr/bin/env bash
# Build the server's Docker image (../Dockerfile) and run it for real, without a Docker daemon and
# without Docker Hub, then check it the way a user would: /healthz, /, deploy the demo model, /predict
# (its explanation computed in an explanation thread when the container has 2+ CPUs),
# non-root uid, a writable /models volume that survives a restart, and the image's HEALTHCHECK.
#
#   sudo tools/docker-smoke.sh          # from the repository root or anywhere; prints "docker-smoke: OK"
#
# Not part of npm test or CI: it needs root, apt (buildah, podman, runc, mmdebstrap from Debian) and
# several minutes (a Debian rootfs on the first run, then `npm ci` twice inside the build). It needs the
# host's node_modules (npm ci on the host) to train the demo model and compute the expected prediction.
# Idempotent: the local base image is made once and reused (REBUILD_BASE=1 remakes it); the build uses
# buildah's layer cache; the container and the models volume are recreated on every run and the
# container is removed at exit (the image and volume are kept for poking at: see the names below).
# Each build whose context changed leaves the previous images untagged (~1.5 GB for the build stage);
# `podman image prune` reclaims them, at the price of the next build's npm ci cache.
#
# How, and why each flag (measured on a Debian 12 VM, root, no Docker daemon, no Docker Hub):
# - Base: `node:20-bookworm-slim` cannot be pulled, so a stand-in is built and tagged
#   localhost/node:20-bookworm-slim: mmdebstrap --variant=minbase of bookworm from the Debian mirror,
#   this machine's node binary in /usr/local/bin, npm $NPM_VERSION (default 10.8.2, the npm that Node 20
#   bundles, fetched with `npm pack`; NPM_VERSION=host copies this machine's) in /usr/local/lib/node_modules
#   (the official image's layout), and a `node` user and group with uid/gid 1000 (as in the official image).
#   The Dockerfile takes it through `--build-arg NODE_IMAGE=...`; its default stays the official image.
# - Egress CA: where outbound TLS goes through an intercepting proxy (NODE_EXTRA_CA_CERTS set on the
#   host), that bundle is copied into the stand-in base and NODE_EXTRA_CA_CERTS points at it, or npm ci
#   inside the build fails with a certificate error. EXTRA_CA= (empty) turns this off. The official base
#   has no such file; the ENV is a property of this stand-in only.
# - Runtime runc, not crun: crun refuses this host's hybrid cgroup layout ("cgroups in hybrid mode not
#   supported, drop all controllers from cgroupv2"). --ulimit nofile/nproc at or below the host's hard
#   limits: root here lacks CAP_SYS_RESOURCE, and podman's default (1048576) fails with
#   "setrlimit `RLIMIT_NOFILE`: Operation not permitted".
# - Storage: overlay (the default) works on this ext4 root; no --storage-driver needed. Network: the
#   default CNI bridge reaches the npm registry and publishes ports; no --network host needed.
# - --format docker: the OCI image format has no HEALTHCHECK, and buildah drops it with a warning.
# shellcheck disable=SC2016 # single quotes are deliberate: mmdebstrap hooks and node -e expand later
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${WORK:-/tmp/benchtop-docker-smoke}
BASE_IMAGE=${BASE_IMAGE:-localhost/node:20-bookworm-slim}
IMAGE=${IMAGE:-localhost/benchtop:smoke}
NAME=${NAME:-benchtop-smoke}
VOLUME=${VOLUME:-benchtop-smoke-models}
PORT=${PORT:-18787}
SUITE=${SUITE:-bookworm}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}
EXTRA_CA=${EXTRA_CA-${NODE_EXTRA_CA_CERTS:-}}
REBUILD_BASE=${REBUILD_BASE:-0}
# The official node:20 images ship the npm bundled with Node 20 (10.8.2 in 20.18–20.19), not the host's.
NPM_VERSION=${NPM_VERSION:-10.8.2}
TOKEN=${BENCHTOP_TOKEN:-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')}

log() { printf '\n== %s\n' "$*"; }
fail() {
  printf 'docker-smoke: FAILED: %s\n' "$*" >&2
  if podman container exists "$NAME" 2>/dev/null; then
    printf -- '--- container log (last 40 lines)\n' >&2
    podman logs --tail 40 "$NAME" >&2 || true
  fi
  exit 1
}

[ "$(id -u)" = 0 ] || fail "run as root (buildah/podman rootful, mmdebstrap --mode=root)"
command -v node >/dev/null || fail "node is needed on the host (it is copied into the base image)"
[ -d "$REPO/node_modules" ] || fail "run npm ci in $REPO first (the demo model is trained on the host)"

# Containers get hard limits no higher than ours (see the header).
NOFILE=$(ulimit -Hn)
[ "$NOFILE" = unlimited ] && NOFILE=65536
RUNTIME_FLAGS=(--runtime runc --ulimit "nofile=$NOFILE:$NOFILE" --ulimit nproc=4096:4096)

need=()
for tool in buildah podman runc mmdebstrap curl; do command -v "$tool" >/dev/null || need+=("$tool"); done
if [ ${#need[@]} -gt 0 ]; then
  log "apt-get install ${need[*]}"
  apt-get install -y "${need[@]}" >/dev/null
fi
mkdir -p "$WORK"

# ---------------------------------------------------------------------------------------------------
if [ "$REBUILD_BASE" = 1 ] || ! podman image exists "$BASE_IMAGE"; then
  log "base image $BASE_IMAGE (mmdebstrap $SUITE from $MIRROR + node $(node --version) from this host)"
  node_bin=$(readlink -f "$(command -v node)")
  hooks=(
    --customize-hook="install -D -m 0755 '$node_bin' \"\$1/usr/local/bin/node\""
    --customize-hook='mkdir -p "$1/usr/local/lib/node_modules/npm"'
  )
  if [ "$NPM_VERSION" = host ]; then
    npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
    [ -f "$npm_dir/package.json" ] || fail "cannot find npm's install directory (got $npm_dir)"
    hooks+=(--customize-hook="cp -a '$npm_dir/.' \"\$1/usr/local/lib/node_modules/npm/\"")
  else
    # npm's registry tarball bundles its dependencies: unpacked, it is a complete npm.
    rm -f "$WORK/npm-$NPM_VERSION.tgz"
    (cd "$WORK" && npm pack "npm@$NPM_VERSION" >/dev/null 2>&1) || fail "npm pack npm@$NPM_VERSION"
    hooks+=(--customize-hook="tar -xzf '$WORK/npm-$NPM_VERSION.tgz' --strip-components=1 -C \"\$1/usr/local/lib/node_modules/npm\"")
  fi
  hooks+=(
    --customize-hook='ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm"'
    --customize-hook='ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"'
    --customize-hook='chroot "$1" groupadd --gid 1000 node'
    --customize-hook='chroot "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home node'
  )
  changes=(
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    --change "ENV NODE_VERSION=$(node --version | tr -d v)"
    --change 'CMD ["node"]'
  )
  if [ -n "$EXTRA_CA" ]; then
    [ -f "$EXTRA_CA" ] || fail "EXTRA_CA=$EXTRA_CA is not a file"
    hooks+=(--customize-hook="install -D -m 0644 '$EXTRA_CA' \"\$1/usr/local/share/benchtop-smoke/extra-ca.pem\"")
    changes+=(--change 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/benchtop-smoke/extra-ca.pem')
  fi
  # The binary must run in the new root (glibc/libstdc++ of bookworm); env -i keeps host variables out.
  hooks+=(--customize-hook='env -i PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin chroot "$1" sh -c "node --version && npm --version"')
  rm -f "$WORK/base.tar"
  mmdebstrap --variant=minbase --mode=root \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
    "${hooks[@]}" "$SUITE" "$WORK/base.tar" \
    "deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" "deb $SECURITY_MIRROR $SUITE-security main"
  podman import "${changes[@]}" "$WORK/base.tar" "$BASE_IMAGE" >/dev/null
  rm -f "$WORK/base.tar"
fi
podman run --rm "${RUNTIME_FLAGS[@]}" --network none "$BASE_IMAGE" sh -c \
  'test "$(id -u node):$(id -g node)" = 1000:1000 && echo "base: node $(node --version), npm $(npm --version), user node 1000:1000"' ||
  fail "base image $BASE_IMAGE: node does not run or user node is not 1000:1000"

# ---------------------------------------------------------------------------------------------------
log "build $IMAGE from $REPO/Dockerfile (NODE_IMAGE=$BASE_IMAGE)"
start=$SECONDS
buildah bud --layers --format docker --pull=never "${RUNTIME_FLAGS[@]}" \
  --build-arg "NODE_IMAGE=$BASE_IMAGE" -t "$IMAGE" -f "$REPO/Dockerfile" "$REPO"
echo "build took $((SECONDS - start)) s; image $(podman image inspect "$IMAGE" --format '{{.Size}}') bytes"

user=$(podman image inspect "$IMAGE" --format '{{.Config.User}}')
[ "$user" = node ] || fail "image USER is '$user', expected node"
podman image inspect "$IMAGE" --format '{{json .Config.Healthcheck}}' | grep -q healthz ||
  fail "image has no HEALTHCHECK (built without --format docker?)"
# Runtime stage: production dependencies only (vite is a devDependency; tsx and tfjs are not).
podman run --rm "${RUNTIME_FLAGS[@]}" --network none --no-healthcheck "$IMAGE" sh -c \
  'test ! -e node_modules/vite && test -x node_modules/.bin/tsx && test -d node_modules/@tensorflow/tfjs && test -f dist/index.html' ||
  fail "runtime stage has the wrong node_modules or no dist/"

# ---------------------------------------------------------------------------------------------------
log "models and expected predictions (on the host)"
# cars-mpg: the README's GBDT demo model. synth-mlp: a small MLP on synthetic data, because only the
# linear and MLP families load @tensorflow/tfjs on the server, and the image must carry a working tfjs.
RECORD='{"cylinders":4,"displacement":120,"horsepower":95,"weight":2400,"acceleration":16,"year":1978,"origin":"Japan"}'
MLP_RECORD='{"x1":0.25,"x2":-0.5}'
cat >"$WORK/models.mts" <<EOF
import { writeFileSync } from 'node:fs';
import { trainDemoModel } from '$REPO/server/demo-model.ts';
import { loadArtifact } from '$REPO/src/core/ml/artifact.ts';
import { trainModel } from '$REPO/src/core/ml/train.ts';
const gbdt = await trainDemoModel();
// y = 2·x1 − 3·x2 on a fixed grid: deterministic without a random source.
const n = 300;
const x1 = Array.from({ length: n }, (_, i) => ((i * 37) % 100) / 50 - 1);
const x2 = Array.from({ length: n }, (_, i) => ((i * 61) % 100) / 50 - 1);
const { artifact: mlp } = await trainModel(
  { rowCount: n, columns: { x1, x2, y: Float64Array.from(x1, (v, i) => 2 * v - 3 * x2[i]) },
    types: { x1: 'DOUBLE', x2: 'DOUBLE', y: 'DOUBLE' } },
  { target: 'y', task: 'regression', family: 'mlp', params: { hiddenLayers: [16], epochs: 20 }, seed: 1,
    pipeline: { columns: [{ name: 'x1', kind: 'numeric' }, { name: 'x2', kind: 'numeric' }] },
    split: { kind: 'random', seed: 1, fractions: { train: 0.7, valid: 0.15, test: 0.15 } }, name: 'synth-mlp' },
  { backend: 'js' },
);
const predict = async (a: unknown, r: Record<string, unknown>) =>
  (await (await loadArtifact(JSON.parse(JSON.stringify(a)))).predictRecords([r]))[0].prediction.value;
writeFileSync('$WORK/cars-mpg.json', JSON.stringify(gbdt));
writeFileSync('$WORK/synth-mlp.json', JSON.stringify(mlp));
console.log(JSON.stringify({ gbdt: await predict(gbdt, $RECORD), mlp: await predict(mlp, $MLP_RECORD) }));
EOF
expected=$(cd "$REPO" && npx tsx "$WORK/models.mts" 2>/dev/null | tail -1)
echo "expected predictions: $expected"
[[ "$expected" == *'"mlp":'* ]] || fail "training the models on the host failed (run: npx tsx $WORK/models.mts)"

# ---------------------------------------------------------------------------------------------------
log "run $NAME on 127.0.0.1:$PORT with volume $VOLUME"
cleanup() { podman rm -f "$NAME" >/dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup
podman volume rm -f "$VOLUME" >/dev/null 2>&1 || true
podman volume create "$VOLUME" >/dev/null
# podman schedules the image's HEALTHCHECK with systemd timers; without systemd it logs "unable to get
# systemd connection" on start/restart (harmless: the check itself is run once by hand below), so its
# stderr is kept in a file and shown only on failure.
podman run -d --name "$NAME" "${RUNTIME_FLAGS[@]}" -p "127.0.0.1:$PORT:8787" \
  -e "BENCHTOP_TOKEN=$TOKEN" -e BENCHTOP_ALLOWED_HOSTS=models.internal \
  -v "$VOLUME:/models" "$IMAGE" >/dev/null 2>"$WORK/podman-run.err" || { cat "$WORK/podman-run.err" >&2; fail "podman run"; }
URL="http://127.0.0.1:$PORT"

wait_healthy() {
  for _ in $(seq 1 60); do
    curl -sf "$URL/healthz" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  fail "no answer on $URL/healthz after 30 s"
}
wait_healthy
curl -sf "$URL/healthz" | grep -q '"status":"ok"' || fail "/healthz body"
echo "/healthz: $(curl -sf "$URL/healthz")"
curl -sf "$URL/" | grep -qi '<!doctype html' || fail "/ did not serve the built app"
echo "/: $(curl -s -o /dev/null -w '%{http_code} %{content_type}' "$URL/")"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: models.internal' "$URL/healthz")" = 200 ] ||
  fail "Host in BENCHTOP_ALLOWED_HOSTS refused"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: evil.example' "$URL/healthz")" = 403 ] ||
  fail "unknown Host accepted"

uid=$(podman exec "$NAME" sh -c 'awk "/^Uid:/{print \$2}" /proc/1/status')
[ "$uid" = 1000 ] || fail "server (pid 1) runs as uid $uid, expected 1000"
echo "server pid 1 uid: $uid"

code=$(curl -s -o "$WORK/deploy-noauth.json" -w '%{http_code}' -X POST "$URL/v1/models?name=cars-mpg" \
  -H 'Content-Type: application/json' --data-binary @"$WORK/cars-mpg.json")
[ "$code" = 401 ] || fail "deploy without the token answered $code, expected 401"
deploy=$(curl -sf -X POST "$URL/v1/models?name=cars-mpg" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' --data-binary @"$WORK/cars-mpg.json") || fail "deploy refused"
echo "deploy: $deploy"
[ "$deploy" = '{"name":"cars-mpg","version":1}' ] || fail "unexpected deploy answer"
podman exec "$NAME" sh -c 'test "$(stat -c %u /models/cars-mpg/1.json)" = 1000' ||
  fail "/models/cars-mpg/1.json missing or not owned by uid 1000"

check_predict() { # path record key: the container's value must equal the host's, bit for bit
  local got
  got=$(curl -sf -X POST "$URL$1" -H 'Content-Type: application/json' -d "$2") || fail "POST $1 failed"
  echo "POST $1: ${got:0:150}…"
  node -e '
    const [got, all, key] = [JSON.parse(process.argv[1]), JSON.parse(process.argv[2]), process.argv[3]];
    const expected = all[key];
    if (got.prediction.value !== expected) throw new Error(`value ${got.prediction.value} != host ${expected}`);
    const e = got.explanation;
    // TreeSHAP is exact: base + contributions + rest is the prediction.
    const sum = e.base + e.contributions.reduce((s, c) => s + c.value, 0) + e.rest;
    if (key === "gbdt" && Math.abs(sum - expected) > 1e-9) throw new Error(`base + contributions = ${sum}`);
  ' "$got" "$expected" "$3" || fail "POST $1 does not match the host computation"
}
check_predict /predict "$RECORD" gbdt # the only model, so the default one
deploy_mlp=$(curl -sf -X POST "$URL/v1/models?name=synth-mlp" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' --data-binary @"$WORK/synth-mlp.json") || fail "deploy synth-mlp refused"
echo "deploy: $deploy_mlp"
check_all() {
  check_predict /v1/models/cars-mpg/predict "$RECORD" gbdt
  check_predict /v1/models/synth-mlp/predict "$MLP_RECORD" mlp
}
check_all

log "explanation threads (server/explainPool.ts) in the container"
if [ "$(podman exec "$NAME" nproc)" -gt 1 ]; then
  for _ in $(seq 1 60); do # a thread starts with the first GBDT model: ~1 s
    curl -sf "$URL/metrics" | grep -q '^benchtop_explain_threads{state="ready"} [1-9]' && break
    sleep 0.5
  done
  check_predict /v1/models/cars-mpg/predict "$RECORD" gbdt
  threads=$(curl -sf "$URL/metrics" | grep '^benchtop_explain')
  echo "$threads"
  grep -q '^benchtop_explain_threads{state="ready"} [1-9]' <<<"$threads" || fail "no explanation thread ready"
  grep -q '^benchtop_explained_in_threads_total [1-9]' <<<"$threads" || fail "no row explained in a thread"
else
  echo "one CPU in the container: explanations run in the event loop (BENCHTOP_EXPLAIN_THREADS default 0)"
fi

log "restart: the models must come back from the volume"
podman restart "$NAME" >/dev/null 2>"$WORK/podman-run.err" || { cat "$WORK/podman-run.err" >&2; fail "podman restart"; }
wait_healthy
curl -sf "$URL/v1/models" | grep -q '"cars-mpg"' || fail "cars-mpg not listed after restart"
check_all

log "image HEALTHCHECK"
podman healthcheck run "$NAME" >/dev/null || fail "HEALTHCHECK command failed inside the container"
echo "healthcheck: healthy"

printf '\ndocker-smoke: OK (%s built from %s, ran as uid 1000, /models on volume %s)\n' "$IMAGE" "$BASE_IMAGE" "$VOLUME"
