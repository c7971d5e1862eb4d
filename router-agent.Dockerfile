# The router agent's image (services/router-agent): the netbroker image (Dockerfile) plus the
# programs the agent runs — `ip` (iproute2), `nft` (nftables), `sysctl` (procps) — and root, which
# it needs to make and program a network namespace per project router (docs/security.md, "The
# router agent"). The bundles are the netbroker image's own: nothing is built again.
#
#   docker build -t netbroker:0.1.0 .
#   docker build -f router-agent.Dockerfile --build-arg NETBROKER_IMAGE=netbroker:0.1.0 \
#     -t netbroker-router-agent:0.1.0 .
#
# NET_TOOLS_IMAGE is where the three programs and their shared libraries come from: by default
# Debian 12, the release the runtime base is built from, so the libraries fit its glibc. They are
# installed there and gathered under /net-tools at their paths (glibc's own libraries left out:
# the runtime has them). A base that already carries /net-tools is used as it is: the test
# harness, which pulls nothing, passes one made from this machine's Debian packages
# (libs/testing/test/image.int.spec.ts).
ARG NETBROKER_IMAGE=netbroker:0.1.0
ARG NET_TOOLS_IMAGE=debian:12-slim

# --- ip, nft, sysctl and their libraries under /net-tools ------------------------------------
FROM ${NET_TOOLS_IMAGE} AS net-tools
SHELL ["/bin/sh", "-eu", "-c"]
# Unpinned on purpose: the base's tag pins the release, and its security updates should come in.
# hadolint ignore=DL3008
RUN if [ ! -d /net-tools ]; then \
      apt-get update; \
      apt-get install -y --no-install-recommends iproute2 nftables procps; \
      rm -rf /var/lib/apt/lists/*; \
      mkdir -p /net-tools/usr/sbin; \
      for program in /usr/sbin/ip /usr/sbin/nft /usr/sbin/sysctl; do \
        cp -L "$program" /net-tools/usr/sbin/; \
        for lib in $(ldd "$program"); do \
          case "$lib" in \
            */libc.so.*|*/ld-linux*|*/libm.so.*|*/libdl.so.*|*/libpthread.so.*|*/librt.so.*) ;; \
            /*) mkdir -p "/net-tools$(dirname "$lib")"; cp -L "$lib" "/net-tools$lib" ;; \
          esac; \
        done; \
      done; \
    fi

# --- the agent ---------------------------------------------------------------------------------
FROM ${NETBROKER_IMAGE}
LABEL org.opencontainers.image.title="netbroker-router-agent" \
      org.opencontainers.image.description="netbroker's Linux router agent for gateway nodes: the netbroker image with ip, nft and sysctl, run as root" \
      org.opencontainers.image.version="0.1.0"
COPY --from=net-tools /net-tools/ /
ENV PATH=/nodejs/bin:/usr/sbin:/usr/bin:/sbin:/bin
# Root: network namespaces, veths, routes and nftables tables on the node (with CAP_NET_ADMIN and
# CAP_SYS_ADMIN: the chart runs it privileged, docs/security.md says why).
# hadolint ignore=DL3002
USER 0:0
CMD ["dist/router-agent/main.mjs"]
