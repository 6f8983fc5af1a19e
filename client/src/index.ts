export { createClient, type AisleClient, type App, type ClientOptions } from './client'
export { createTracker, parseRetryAfter, type AisleEvent, type FlushResult, type TrackedEvent, type Tracker, type TrackerOptions } from './tracker'
