# One image for every netbroker service: the chart picks the service with
# `args: ["dist/<service>/main.mjs"]` (api, ipam, provisioner, syncer, mapper, exposer, router).
# router-agent is bundled too, but runs on gateway nodes as root with `ip`, `nft` and `sysctl`,
# which this image does not carry: router-agent.Dockerfile builds its image on top of this one.
#
# Both bases are build arguments. The defaults are the public images this file is written for;
# the test harness, which pulls nothing, passes local bases of the same layout
# (libs/testing/src/netbroker-image.ts): BUILD_IMAGE has node and npm on PATH and a /bin/sh,
# RUNTIME_IMAGE has node at /nodejs/bin/node, uid/gid 65532 and CA certificates.
ARG BUILD_IMAGE=node:24-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot

# --- production dependencies ------------------------------------------------------------------
# The bundles (dist/<service>/main.mjs) carry all their code, but a few dependencies read files
# beside themselves at run time: @fastify/swagger-ui serves its static/ folder at the api's /docs,
# pino starts its worker file when a transport is configured. scripts/build.ts points those
# modules at ../../node_modules/<package>, so the runtime keeps these production node_modules
# next to dist/. The manifests come first: this layer is rebuilt only when they change.
FROM ${BUILD_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY libs/bus/package.json libs/bus/
COPY libs/contracts/package.json libs/contracts/
COPY libs/controller/package.json libs/controller/
COPY libs/ipam/package.json libs/ipam/
COPY libs/kube/package.json libs/kube/
COPY libs/naming/package.json libs/naming/
COPY libs/runtime/package.json libs/runtime/
COPY libs/testing/package.json libs/testing/
COPY libs/translate/package.json libs/translate/
COPY services/api/package.json services/api/
COPY services/exposer/package.json services/exposer/
COPY services/ipam/package.json services/ipam/
COPY services/mapper/package.json services/mapper/
COPY services/provisioner/package.json services/provisioner/
COPY services/router/package.json services/router/
COPY services/router-agent/package.json services/router-agent/
COPY services/syncer/package.json services/syncer/
COPY cli/package.json cli/
COPY portal/package.json portal/
# The workspace links (node_modules/@netbroker/*) point at sources the runtime does not have:
# the bundles contain them.
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error \
 && rm -rf node_modules/@netbroker node_modules/.package-lock.json

# --- build: every service bundled by esbuild (scripts/build.ts), the CLI's single file, and the
# web portal's static files (dist/portal: the api serves them under /ui/) ----------------------
FROM deps AS build
RUN npm ci --no-audit --no-fund --loglevel=error
COPY tsconfig.json tsconfig.base.json ./
COPY scripts scripts
COPY libs libs
COPY services services
COPY cli cli
COPY portal portal
RUN npm run build

# --- runtime -----------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE}
LABEL org.opencontainers.image.title="netbroker" \
      org.opencontainers.image.description="Multi-tenant network broker for platforms that give each project its own virtual Kubernetes cluster: api, ipam, provisioner, syncer, mapper, exposer, router" \
      org.opencontainers.image.version="0.1.0"
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=build /app/dist dist
USER 65532:65532
ENTRYPOINT ["/nodejs/bin/node", "--enable-source-maps"]
CMD ["dist/api/main.mjs"]
