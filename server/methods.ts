// Which methods a path is served with, so that a request with another method is told 405 and
// the methods it may use (`Allow`, RFC 9110 §15.5.6) instead of a 404 that says the path does not
// exist. Built once from the app's own route list, after every route is registered.

export interface Route {
  method: string
  path: string
}

/** `/recommend/:user_id/` → a pattern for one path, with or without its trailing slash. */
function patternOf(path: string): RegExp {
  const segments = trimSlash(path)
    .split('/')
    .map((s) => (s.startsWith(':') ? '[^/]+' : s === '*' ? '.*' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
  return new RegExp(`^${segments.join('/')}$`)
}

const trimSlash = (path: string) => (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path)

export class AllowedMethods {
  private routes: { method: string; pattern: RegExp }[] = []

  load(routes: Route[]): void {
    this.routes = routes.map((r) => ({ method: r.method.toUpperCase(), pattern: patternOf(r.path) }))
  }

  /** The methods `path` is served with, sorted; empty when no route has this path. */
  of(path: string): string[] {
    const p = trimSlash(path)
    return [...new Set(this.routes.filter((r) => r.pattern.test(p)).map((r) => r.method))].sort()
  }
}
