FROM oven/bun:1
WORKDIR /app
COPY package.json bun.lock bunfig.toml tsconfig.json ./
COPY client/package.json client/package.json
RUN bun install --frozen-lockfile --production
COPY core core
COPY recommender recommender
COPY server server
COPY worker worker
ENV NODE_ENV=production PORT=3000
EXPOSE 3000
USER bun
CMD ["bun", "run", "server"]
