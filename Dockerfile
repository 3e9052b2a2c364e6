# flunq-executor-ts: build with dev dependencies, run with production dependencies only.

FROM node:20.20.2-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20.20.2-bookworm-slim AS runtime
ENV NODE_ENV=production
# Call URLs come from workflow documents: refuse loopback, private and metadata addresses unless
# the deployment says otherwise (the default outside the image is off, for local development).
ENV CALL_DENY_PRIVATE_NETWORKS=true
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
# The code stays owned by root and read-only for the service user.
USER node
EXPOSE 8083 9091
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HEALTH_PORT||8083)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Same command as `npm run start:prod` (tested there: there is no Docker engine in CI).
CMD ["node", "dist/src/main.js"]
