# One image for every role; docker-compose.yml picks the role with `command`.
#
# Node 24: the LTS line supported longest from here (maintenance until April 2028; Node 22 ends in
# April 2027, Node 20 ended in April 2026). Debian bookworm, as on the build machines.

# mediasoup 3.8.4's worker (the voice role's SFU) builds with gyp, which needs Python 2.7 or
# 3.6-3.9; bookworm ships 3.11. Only the interpreter is borrowed from this image, at the same paths
# (both are bookworm, so the same libraries).
FROM python:3.9-slim-bookworm AS python39

FROM node:24-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY --from=python39 /usr/local/bin/python3.9 /usr/local/bin/python3.9
COPY --from=python39 /usr/local/lib/python3.9 /usr/local/lib/python3.9
COPY --from=python39 /usr/local/lib/libpython3.9.so.1.0 /usr/local/lib/libpython3.9.so.1.0
RUN ldconfig && python3.9 --version
# scripts/voice-deps.sh (npm's postinstall) builds the worker into this cache and links
# node_modules/mediasoup to it; the final stage copies the cache to the same path.
ENV PLEXICHAT_CACHE_DIR=/app/.cache
COPY package.json package-lock.json ./
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund && test -x node_modules/mediasoup/worker/out/Release/mediasoup-worker
COPY . .
# `npm prune` drops the mediasoup link (it is not in package.json): voice-deps.sh relinks the cache.
RUN npm run build && npm prune --omit=dev && bash scripts/voice-deps.sh

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/.cache ./.cache
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/api/docs/guides ./api/docs/guides
COPY --from=build /app/api/docs/assets ./api/docs/assets
COPY --from=build /app/api/oauth2/pages ./api/oauth2/pages
# data_dir: docker-compose.yml mounts one volume here for every role (the instance secret is generated
# once into it); a named volume takes this directory's owner when first mounted.
RUN mkdir -p /data && chown node:node /data
ENV PLEXICHAT_DATA_DIR=/data
USER node
# 8000 API, 8001 gateway, 8002 voice signaling; voice media is UDP (and TCP) on voice.rtc_min_port..rtc_max_port.
EXPOSE 8000 8001 8002
CMD ["node", "dist/api/main.js"]
