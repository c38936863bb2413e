# kyc-monitor container: Node 24, production dependencies only, non-root.
# The same steps run natively with: npm ci && npm run build (see README).

FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=optional --ignore-scripts --no-audit --no-fund
COPY tsconfig.json prisma.config.ts ./
COPY prisma ./prisma
COPY src ./src
RUN npm run build

FROM node:24-slim AS runtime
ENV NODE_ENV=production
# `kyc-monitor <command>` works in a shell in the container (docker-compose.yml's seed uses it).
ENV PATH=/app/bin:$PATH
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY prisma ./prisma
COPY bin ./bin
USER node
# 8080: health and metrics (internal); 8081: the case pages people open from the emails, when
# PUBLIC_URL and LINK_SECRET are set (WEB_PORT).
EXPOSE 8080 8081
# The worker's health; a container running another command (the sandbox) needs its own.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HTTP_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# `worker` applies pending migrations before it starts.
ENTRYPOINT ["/app/bin/kyc-monitor"]
CMD ["worker"]
