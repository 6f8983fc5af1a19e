// Preloaded by bun test (bunfig.toml). Keeps test runs quiet unless asked otherwise.
process.env.LOG_LEVEL ??= 'warn'
