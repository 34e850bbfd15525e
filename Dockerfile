# One image for both halves: `node dist/bin/api.js` (default) or `node dist/bin/worker.js`.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json /app/switchyard.yaml ./
# The price seed is read at start from <app>/prices/prices.yaml (tsc does not copy YAML into dist/).
COPY --from=build /app/prices/prices.yaml ./prices/prices.yaml
USER node
EXPOSE 8080
CMD ["node", "dist/bin/api.js"]
