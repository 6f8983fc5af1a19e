// One lookup at a time per key: callers that ask while it runs share its answer. Caches whose
// entries expire use it so that an expiry under load costs one store query, not one per request.

/** Runs `start` unless a run for `key` is in `running`; every caller gets that run's promise. */
export function shared<V>(running: Map<string, Promise<V>>, key: string, start: () => Promise<V>): Promise<V> {
  let pending = running.get(key)
  if (!pending) {
    const run: Promise<V> = start().finally(() => {
      // Unless the map was cleared and a newer run took the key meanwhile.
      if (running.get(key) === run) running.delete(key)
    })
    running.set(key, run)
    pending = run
  }
  return pending
}
