// Preloaded by bun test (bunfig.toml). Integration and end-to-end suites start real processes
// and talk to brokers, so a test may take longer than bun's 5 s default.
import { setDefaultTimeout } from 'bun:test'

process.env.LOG_LEVEL ??= 'warn'
setDefaultTimeout(60_000)
