#!/usr/bin/env bash
# tests/container/smoke.sh: build the Docker image (Dockerfile at the top) and check it end
# to end against the private signed hierarchy (tests/fixtures/hierarchy.sh) on loopback.
# Run it by hand as root where a Docker daemon runs; CI has none, so it is not part of ctest.
#
#   tests/container/smoke.sh            build the image, then check it
#   SKIP_BUILD=1 tests/container/smoke.sh   check an image built before (IMAGE, default
#                                           dnssec-proxy:smoke)
#   SKIP_SYSTEMD=1 ...                      without the second part: dist/dnssec-proxy.service
#                                           under systemd as PID 1 in a container
#                                           (systemd.Dockerfile; needs CAP_SYS_ADMIN and the
#                                           host's /sys/fs/cgroup, written for cgroup v1 hosts)
#
# The checked container uses the host's network (--network host) to reach the fixture on
# 127.0.6.N; the image is built with --network host too, which works on any Linux Docker host
# and on one without a bridge (dockerd --bridge=none). Needs what the fixture needs:
# apt-get install -y knot unbound bind9-utils bind9-dnsutils ldnsutils
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
image=${IMAGE:-dnssec-proxy:smoke}
export HIERARCHY_NET=127.0.6 UPSTREAM_PORT=5600 REFERENCE_PORT=5601
port=5653
fixture=$here/tests/fixtures/hierarchy.sh
work=$(mktemp -d /tmp/dnsp-container.XXXXXX)
name=dnsp-smoke-$$
failed=0

cleanup() {
  docker rm -f "$name" "$name-default" "$name-systemd" "$name-pod" >/dev/null 2>&1 || true
  docker volume rm "$name-state" >/dev/null 2>&1 || true
  "$fixture" stop "$work/h" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

check() {  # check DESCRIPTION COMMAND...: PASS when COMMAND succeeds
  local what=$1
  shift
  if "$@"; then
    echo "PASS  $what"
  else
    echo "FAIL  $what"
    failed=1
  fi
}
has() { grep -q -- "$2" <<<"$1"; }

command -v docker >/dev/null || { echo "smoke: docker not found" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "smoke: no Docker daemon answers (docker info)" >&2; exit 1; }
if [[ -z ${SKIP_BUILD:-} ]]; then
  echo "smoke: building $image" >&2
  docker build --network host -t "$image" "$here" >"$work/build.log" 2>&1 ||
    { tail -30 "$work/build.log" >&2; echo "smoke: docker build failed" >&2; exit 1; }
fi

echo "smoke: starting the signed hierarchy" >&2
"$fixture" build "$work/h" >/dev/null
"$fixture" start "$work/h" >/dev/null
mkdir -p "$work/conf"
cp "$work/h/root-anchor.ds" "$work/conf/"
cat >"$work/conf/dnssec-proxy.toml" <<EOF
[server]
listen = ["127.0.0.1:$port"]
[upstream]
servers = ["127.0.0.1:$UPSTREAM_PORT"]
[dnssec]
trust_anchor_file = "/etc/dnssec-proxy/root-anchor.ds"
trust_anchor_state = "/var/lib/dnssec-proxy/root-anchor.state"
EOF
chmod 0755 "$work/conf"
chmod 0644 "$work/conf"/*

docker run -d --name "$name" --network host -v "$work/conf:/etc/dnssec-proxy:ro" \
  -v "$name-state:/var/lib/dnssec-proxy" "$image" >/dev/null
for _ in $(seq 1 50); do
  dig @127.0.0.1 -p "$port" +tries=1 +time=1 . NS >/dev/null 2>&1 && break
  sleep 0.1
done

check "runs as the unprivileged user dnssec-proxy (uid 999)" \
  has "$(docker exec "$name" id)" "uid=999(dnssec-proxy)"
secure=$(dig @127.0.0.1 -p "$port" +dnssec +tries=1 www.secure-ecdsa.test A)
check "a secure answer: NOERROR with AD and its RRSIG" \
  bash -c 'grep -q "status: NOERROR" <<<"$1" && grep -q "flags:.* ad" <<<"$1" && grep -q "RRSIG" <<<"$1"' _ "$secure"
bogus=$(dig @127.0.0.1 -p "$port" +tries=1 www.badsig.test A)
check "a bogus answer: SERVFAIL with EDE 6 naming the zone" \
  bash -c 'grep -q "status: SERVFAIL" <<<"$1" && grep -q "EDE: 6 (DNSSEC Bogus): (badsig.test.:" <<<"$1"' _ "$bogus"
cd_answer=$(dig @127.0.0.1 -p "$port" +cd +tries=1 www.badsig.test A)
check "with CD the bogus data comes through, without AD" \
  bash -c 'grep -q "status: NOERROR" <<<"$1" && ! grep -q "flags:.* ad" <<<"$1"' _ "$cd_answer"
set +e
explain=$(docker exec "$name" dnssec-proxy explain www.dsmismatch.test A --server "127.0.0.1:$port" --no-color)
explain_rc=$?
set -e
check "docker exec ... explain --server: verdict bogus, exit 2" \
  bash -c '[[ $2 == 2 ]] && grep -q "verdict  bogus" <<<"$1"' _ "$explain" "$explain_rc"
check "the HEALTHCHECK command answers" \
  docker exec "$name" dnssec-proxy --health-check "127.0.0.1:$port"
check "RFC 5011 state written to the volume" \
  docker exec "$name" test -s /var/lib/dnssec-proxy/root-anchor.state
start=$(date +%s%N)
docker stop "$name" >/dev/null
took_ms=$((($(date +%s%N) - start) / 1000000))
check "docker stop (SIGTERM) ends it within 3 s (took $took_ms ms)" test "$took_ms" -lt 3000
check "its log ends with 'stopped'" has "$(docker logs "$name" 2>&1 | tail -1)" "stopped"

# The image's own configuration, in a network namespace of its own: it binds port 53 on
# 0.0.0.0 and [::] as uid 999 (the file capability) and its HEALTHCHECK turns healthy (the
# first check runs after the 30 s interval). There is no upstream there: SERVFAIL, still
# an answer.
docker run -d --name "$name-default" --network none "$image" >/dev/null
sleep 1
check "default configuration: port 53 bound as uid 999, health check answers" \
  docker exec "$name-default" dnssec-proxy --health-check 127.0.0.1:53
health=starting
for _ in $(seq 1 45); do
  health=$(docker inspect --format '{{.State.Health.Status}}' "$name-default")
  [[ $health == starting ]] || break
  sleep 1
done
check "Docker reports the container healthy (was: $health)" test "$health" = healthy
docker rm -f "$name-default" >/dev/null

# The DaemonSet's container settings (dist/kubernetes), as Docker can give them: its
# ConfigMap's file (the listen address, the kube-dns upstream and the anchor swapped for the
# fixture's: no dummy interface or cluster here), uid 999, a read-only root file system,
# every capability dropped but NET_BIND_SERVICE, its memory limit, a host directory for
# the state; cluster.local is an insecure forward zone.
mkdir -p "$work/pod/config" "$work/pod/state"
chown 999:999 "$work/pod/state"
cp "$work/h/root-anchor.ds" "$work/pod/config/"
awk '/dnssec-proxy.toml: \|/ { on = 1; next } on && /^---/ { exit } on { sub(/^    /, ""); print }' \
  "$here/dist/kubernetes/dnssec-proxy-daemonset.yaml" |
  sed -e 's/169\.254\.20\.10:53/127.0.0.2:53/' -e 's/169\.254\.20\.10:9153/127.0.0.2:9153/' -e "s/\"10\.96\.0\.10\"/\"127.0.0.1:$UPSTREAM_PORT\"/" \
    -e 's|^\[dnssec\]$|[dnssec]\ntrust_anchor_file = "/etc/dnssec-proxy/root-anchor.ds"|' \
    >"$work/pod/config/dnssec-proxy.toml"
chmod -R a+rX "$work/pod/config"
docker run -d --name "$name-pod" --network host --user 999:999 --read-only --cap-drop ALL \
  --cap-add NET_BIND_SERVICE --memory 256m -v "$work/pod/config:/etc/dnssec-proxy:ro" \
  -v "$work/pod/state:/var/lib/dnssec-proxy" "$image" \
  --config /etc/dnssec-proxy/dnssec-proxy.toml >/dev/null
for _ in $(seq 1 50); do
  dig @127.0.0.2 +tries=1 +time=1 . NS >/dev/null 2>&1 && break
  sleep 0.1
done
pod=$(dig @127.0.0.2 +dnssec +tries=1 www.secure-ecdsa.test A)
check "DaemonSet settings: port 53 as uid 999, read-only root, only NET_BIND_SERVICE: AD" \
  bash -c 'grep -q "status: NOERROR" <<<"$1" && grep -q "flags:.* ad" <<<"$1"' _ "$pod"
check "DaemonSet settings: its liveness probe command answers" \
  docker exec "$name-pod" /usr/bin/dnssec-proxy --health-check 127.0.0.2:53
check "DaemonSet settings: RFC 5011 state on the host directory" test -s "$work/pod/state/root-anchor.state"
# The private root proves local. does not exist: validated, that is NXDOMAIN with AD; in
# the insecure forward zone, NXDOMAIN without it.
nta=$(dig @127.0.0.2 +dnssec +tries=1 kube-dns.kube-system.svc.cluster.local A)
check "DaemonSet settings: cluster.local is an insecure forward zone (NXDOMAIN, no AD)" \
  bash -c 'grep -q "status: NXDOMAIN" <<<"$1" && ! grep -q "flags:.* ad" <<<"$1"' _ "$nta"
docker rm -f "$name-pod" >/dev/null

# dist/dnssec-proxy.service as shipped, under systemd: started, answering, reloaded by
# `systemctl reload` (config check, then SIGHUP), stopped.
if [[ -z ${SKIP_SYSTEMD:-} ]]; then
  echo "smoke: building the systemd image" >&2
  docker build --network host --build-arg "IMAGE=$image" -t "$image-systemd" \
    -f "$here/tests/container/systemd.Dockerfile" "$here" >"$work/build-systemd.log" 2>&1 ||
    { tail -30 "$work/build-systemd.log" >&2; echo "smoke: systemd image build failed" >&2; exit 1; }
  docker run -d --name "$name-systemd" --network host --cap-add SYS_ADMIN \
    --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    --tmpfs /run --tmpfs /run/lock --tmpfs /tmp -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
    -v "$work/conf:/etc/dnssec-proxy:ro" "$image-systemd" >/dev/null
  active=
  for _ in $(seq 1 100); do
    active=$(docker exec "$name-systemd" systemctl is-active dnssec-proxy 2>/dev/null || true)
    [[ $active == active ]] && dig @127.0.0.1 -p "$port" +tries=1 +time=1 . NS >/dev/null 2>&1 && break
    sleep 0.1
  done
  check "systemd: the unit is active (was: $active)" test "$active" = active
  sd=$(dig @127.0.0.1 -p "$port" +dnssec +tries=1 www.secure-ecdsa.test A)
  check "systemd: a secure answer with AD" \
    bash -c 'grep -q "status: NOERROR" <<<"$1" && grep -q "flags:.* ad" <<<"$1"' _ "$sd"
  check "systemd: runs under a dynamic user, not root" \
    bash -c '[[ $(docker exec "$1" sh -c "stat -c %u /proc/\$(pidof dnssec-proxy)") != 0 ]]' _ "$name-systemd"
  check "systemd: systemctl reload succeeds" docker exec "$name-systemd" systemctl reload dnssec-proxy
  sleep 0.5
  check "systemd: the proxy reloaded its configuration" \
    has "$(docker exec "$name-systemd" journalctl -u dnssec-proxy --no-pager)" "reloaded the configuration"
  check "systemd: systemctl stop" docker exec "$name-systemd" systemctl stop dnssec-proxy
  check "systemd: ... and the proxy says it stopped" \
    has "$(docker exec "$name-systemd" journalctl -u dnssec-proxy --no-pager)" "info: stopped"
fi

if ((failed)); then
  echo "smoke: FAILED" >&2
  exit 1
fi
echo "smoke: all checks passed" >&2
