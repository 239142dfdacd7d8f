# Benchtop companion server: the built app plus the model API (/v1/models, /predict), one Node process.
#
#   docker build -t benchtop .
#   docker run --rm -p 8787:8787 -e BENCHTOP_TOKEN=<32+ chars> -v benchtop-models:/models benchtop
#
# Stage 1 builds the browser app (vite) with every dependency; stage 2 installs the runtime ones only.
# The server runs its TypeScript sources with tsx (a runtime dependency), and shares src/core/ml with the
# browser, so src/ and package.json are copied as sources.
#
# Verified by building and running it: tools/docker-smoke.sh (root, no Docker daemon needed) builds it
# with buildah against a local stand-in for the base (NODE_IMAGE below), runs it with podman, and checks
# /healthz, /, deploys (GBDT and a tfjs MLP) with predictions equal to the host's, uid 1000, a writable
# /models volume that survives a restart, and the HEALTHCHECK. server/__tests__/runtimeDeps.test.ts
# checks (in npm test) that everything the server imports at run time is a "dependencies" package.

# The base image is an argument only so tools/docker-smoke.sh can build offline against a local stand-in;
# the default is the official image and a plain `docker build` uses it.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8787 \
    BENCHTOP_MODELS=/models \
    BENCHTOP_DIST=/app/dist
WORKDIR /app
COPY package.json package-lock.json ./
# Runtime dependencies only (package.json "dependencies"): hono, @hono/node-server, zod, tsx, and
# @tensorflow/tfjs, which the linear and MLP families load. Their source maps (189 MB of the 317 MB,
# nearly all tfjs) are never served and only used for stack traces: removed.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force \
    && find node_modules -name '*.map' -type f -delete
COPY --from=build /app/dist ./dist
COPY server ./server
COPY src ./src
COPY tsconfig.json ./
RUN mkdir -p /models && chown node:node /models
USER node
VOLUME ["/models"]
EXPOSE 8787
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:8787/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Binding 0.0.0.0 inside the container: set BENCHTOP_ALLOWED_HOSTS to the names clients use (the Host
# check refuses others), and BENCHTOP_TOKEN so the deploy token survives restarts.
CMD ["node_modules/.bin/tsx", "server/main.ts"]
