# syntax=docker/dockerfile:1
# The podeip image: podeip-agent and podeipctl, plus the `podeip` CNI plugin executable that the
# install-cni init container copies onto the node. How to build it: docs/install.md.
#
# Reproducible: the base image is pinned to an exact Node.js release (releases also pin its
# digest: --build-arg NODE_IMAGE=node:20.20.2-bookworm-slim@sha256:<digest>), dependencies come
# from package-lock.json through `npm ci`, native modules compile from source against the
# image's own Node headers (no prebuilt download), and SOURCE_DATE_EPOCH fixes timestamps.

ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
ARG SOURCE_DATE_EPOCH
ARG NPM_VERSION=11.19.1
# better-sqlite3 compiles from source. The plugin is compiled with Bun from npm
# (@oven/bun-linux-<arch>, an optional dependency in the lockfile): nothing more to install.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
RUN npm install -g "npm@${NPM_VERSION}"
ENV npm_config_build_from_source=true \
    npm_config_nodedir=/usr/local
WORKDIR /src
COPY package.json package-lock.json tsconfig.json ./
COPY proto ./proto
COPY lib ./lib
COPY agent ./agent
COPY cni-plugin ./cni-plugin
COPY bin ./bin
# npm ci installs exactly the lockfile, then `prepare` builds: tsc and the plugin executable
# (one self-contained file, dist/bin/podeip, that install-cni copies onto the node).
RUN --mount=type=cache,target=/root/.npm npm ci
RUN test -x dist/bin/podeip && node bin/podeip-agent --version
RUN npm prune --omit=dev

FROM ${NODE_IMAGE} AS runtime
ARG SOURCE_DATE_EPOCH
# The agent needs node and its production modules, not a package manager.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /opt/yarn-*
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/proto ./proto
COPY --from=build /src/dist/lib ./dist/lib
COPY --from=build /src/dist/agent ./dist/agent
COPY --from=build /src/dist/agent-bundle ./dist/agent-bundle
COPY --from=build /src/dist/cni-plugin/src ./dist/cni-plugin/src
COPY --from=build /src/dist/bin/podeip ./dist/bin/podeip
COPY --from=build /src/bin/podeip-agent /src/bin/podeipctl ./bin/
ENV NODE_ENV=production \
    PATH=/app/bin:$PATH
# The agent runs unprivileged; the DaemonSet's init containers run as root for the host work.
USER 65532:65532
ENTRYPOINT ["/app/bin/podeip-agent"]
