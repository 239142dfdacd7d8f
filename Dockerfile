# Benchtop companion server: the built app plus the model API (/v1/models, /predict), one Node process.
#
#   docker build -t benchtop .
#   docker run --rm -p 8787:8787 -e BENCHTOP_TOKEN=<32+ chars> -v benchtop-models:/models benchtop
#
# Stage 1 builds the browser app (vite) with every dependency; stage 2 installs the runtime ones only.
# The server runs its TypeScript sources with tsx (a runtime dependency), and shares src/core/ml with the
# browser, so src/ and package.json are copied as sources.
#
# No Docker daemon was available where this was written, so the image itself has not been built.
# server/__tests__/runtimeDeps.test.ts checks (in npm test) that everything the server imports at run
# time is a builtin or a "dependencies" package, i.e. present after `npm ci --omit=dev`; and the runtime
# stage's steps were replayed by hand outside Docker (npm ci --omit=dev, copy dist/ server/ src/,
# start as an unprivileged user, deploy and /predict the demo model).

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8787 \
    BENCHTOP_MODELS=/models \
    BENCHTOP_DIST=/app/dist
WORKDIR /app
COPY package.json package-lock.json ./
# Runtime dependencies only (package.json "dependencies"): hono, @hono/node-server, zod, tsx, and
# @tensorflow/tfjs, which src/core/ml/registry.ts loads for the linear and MLP families.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
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
