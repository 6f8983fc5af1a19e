// A stop on SIGTERM is bounded: a process whose stop hangs (a store that never answers) exits
// with status 1 after the deadline instead of ignoring the signal; one that stops in time exits 0.
import { expect, test } from 'bun:test'
import { join } from 'node:path'

const boot = join(import.meta.dir, '../../core/boot.ts')

async function stopWith(stopBody: string): Promise<{ code: number | null; ms: number; stderr: string }> {
  const script = `
    import { onShutdown } from ${JSON.stringify(boot)}
    import { createLogger } from ${JSON.stringify(join(import.meta.dir, '../../core/log.ts'))}
    onShutdown(createLogger('info', 'test'), async () => { ${stopBody} }, 300)
    console.log('ready')
    setInterval(() => {}, 1000)
  `
  const proc = Bun.spawn(['bun', '-e', script], { stdout: 'pipe', stderr: 'pipe' })
  const reader = proc.stdout.getReader()
  expect(new TextDecoder().decode((await reader.read()).value)).toContain('ready')
  const started = performance.now()
  proc.kill('SIGTERM')
  // Without a deadline the process would never end: killed after 5 s, it fails the test.
  const guard = setTimeout(() => proc.kill('SIGKILL'), 5000)
  const code = await proc.exited
  clearTimeout(guard)
  return { code, ms: performance.now() - started, stderr: await new Response(proc.stderr).text() }
}

test('a stop that hangs ends at the deadline with status 1, saying so', async () => {
  const { code, ms, stderr } = await stopWith('await new Promise(() => {})')
  expect(code).toBe(1)
  expect(ms).toBeGreaterThanOrEqual(250)
  expect(stderr).toContain('stop did not finish in time')
})

test('a stop that finishes exits 0 without waiting for the deadline', async () => {
  const { code, stderr } = await stopWith('await Bun.sleep(10)')
  expect(code).toBe(0)
  expect(stderr).not.toContain('stop did not finish in time')
})
