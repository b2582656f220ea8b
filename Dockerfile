# One image for every role; docker-compose.yml picks the role with `command`.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/api/docs/guides ./api/docs/guides
COPY --from=build /app/api/docs/assets ./api/docs/assets
COPY --from=build /app/api/oauth2/pages ./api/oauth2/pages
USER node
EXPOSE 8000 8001
CMD ["node", "dist/api/main.js"]
