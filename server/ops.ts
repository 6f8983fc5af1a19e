import { Elysia, t } from 'elysia'

export const opsRoutes = () =>
  new Elysia({ tags: ['operations'] }).get('/health', () => ({ status: 'ok' as const }), {
    response: { 200: t.Object({ status: t.Literal('ok') }) },
    detail: { summary: 'Liveness: the process answers' },
  })
