# The inference service's image, built from the repository root (docs/container.md):
#   podman build -t runwatch .      (or docker build; npm run test:container builds and runs it)
# The build stage installs everything, compiles, and packages the service with
# `npm run deploy:package` (its compiled modules, the model, and a package.json and lockfile slice
# holding only the packages it imports); the final stage holds that package and its production
# install, and nothing else: no compiler, no store drivers, no Functions Framework.

FROM --platform=linux/amd64 node:20-slim AS build
WORKDIR /src
# Every npm here runs with --ignore-scripts: node:20-slim's npm 10 ignores package.json's
# allowScripts, so onnxruntime-node's install script would try to download a CUDA add-on.
# Nothing the build runs needs an install script (only the tests use better-sqlite3's compile).
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run deploy:package -- --out /pkg service
WORKDIR /pkg/service
# The service's own lock slice, installed from the cache the full install just filled (--offline:
# the same tarballs, no second download). onnxruntime-node ships its binaries for every platform;
# this image is linux/amd64, so darwin, win32 and linux/arm64 (about 245 MB) are dropped here,
# before the final stage copies the directory, so that no layer of the image holds them.
RUN npm ci --omit=dev --ignore-scripts --offline --no-audit --no-fund \
  && rm -rf node_modules/onnxruntime-node/bin/napi-v*/darwin \
    node_modules/onnxruntime-node/bin/napi-v*/win32 \
    node_modules/onnxruntime-node/bin/napi-v*/linux/arm64 \
  && ls node_modules/onnxruntime-node/bin/napi-v*/linux/x64/onnxruntime_binding.node

FROM --platform=linux/amd64 node:20-slim
ENV NODE_ENV=production
WORKDIR /app
# Owned by root, so the service's user cannot change its own code or model.
COPY --from=build /pkg/service /app
USER node
# No HEALTHCHECK: Cloud Run ignores it; it probes /health/startup and /health/live as the
# service spec (deploy/<env>/service.yaml) says. PORT comes from Cloud Run, and the settings
# of each environment (ENVIRONMENT, AUTH_MODE, ...) from that spec.
# Exec form, so node itself receives SIGTERM and drains (docs/service.md).
ENTRYPOINT ["node", "build/service/main.js"]
