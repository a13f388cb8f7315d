# syntax=docker/dockerfile:1
# inferd container image. Multi-stage: `build` compiles the TypeScript, `deps` installs production dependencies,
# `runtime` (the default target) is the CPU image. `--target cuda` builds the CUDA variant instead (see
# docs/kubernetes.md, "GPU image"). The image runs as a non-root user, writes nothing outside /tmp, and serves the
# model repository at $INFERD_MODEL_REPOSITORY (default /models, where the demo models are baked in).
#
#   docker build -t inferd:0.1.0 .
#   docker build --target cuda -t inferd:0.1.0-cuda12 .
#   docker run --rm -p 8001:8001 -p 8002:8002 --read-only --tmpfs /tmp inferd:0.1.0

ARG NODE_IMAGE=node:24-bookworm-slim
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04

# ---- build: compile src/ and generated/ to dist/ --------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would run tsc before the sources are here, and onnxruntime-node's install script
# would download CUDA libraries the CPU image does not use.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY generated ./generated
RUN npx tsc -p tsconfig.build.json

# ---- deps: production node_modules only (onnxruntime-node's CPU binaries ship in its npm package) --------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

# ---- deps-cuda: the same, plus onnxruntime's CUDA and TensorRT execution-provider libraries --------------------
# onnxruntime-node's install script downloads them from NuGet (Microsoft.ML.OnnxRuntime.Gpu.Linux, same version)
# into node_modules/onnxruntime-node/bin/napi-v6/linux/x64/. This stage needs network access at build time.
FROM deps AS deps-cuda
RUN ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js \
 && test -f node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so

# ---- cuda: CUDA 12 + cuDNN 9 runtime base with Node 24 copied in; run with nvidia.com/gpu and KIND_GPU models --
FROM ${NODE_IMAGE} AS node
FROM ${CUDA_IMAGE} AS cuda
COPY --from=node /usr/local/bin/node /usr/local/bin/node
ENV NODE_ENV=production \
    INFERD_MODEL_REPOSITORY=/models
WORKDIR /app
COPY package.json ./
COPY proto ./proto
COPY --from=deps-cuda /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY models /models
USER 1000:1000
EXPOSE 8001 8002
ENTRYPOINT ["node", "/app/dist/src/cli/main.js"]
CMD ["serve"]

# ---- runtime (default): the CPU image ----------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    INFERD_MODEL_REPOSITORY=/models
WORKDIR /app
# package.json: the server reads its version from it. proto/: reflection loads the .proto files at run time.
COPY package.json ./
COPY proto ./proto
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY models /models
# The node image's `node` user (uid 1000), numeric so Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 8001 8002
ENTRYPOINT ["node", "/app/dist/src/cli/main.js"]
CMD ["serve"]
