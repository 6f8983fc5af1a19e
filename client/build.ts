// Builds @aisle/client: ESM JavaScript for Node ≥ 18 and Bun, and declarations that carry the
// server's `App` type (as .d.ts files of the server modules, no server code).
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const dir = import.meta.dir
rmSync(join(dir, 'dist'), { recursive: true, force: true })

const result = await Bun.build({
  entrypoints: [join(dir, 'src/index.ts')],
  outdir: join(dir, 'dist'),
  target: 'node',
  format: 'esm',
  external: ['@elysiajs/eden'],
})
if (!result.success) {
  for (const log of result.logs) console.error(log)
  process.exit(1)
}

const tsc = Bun.spawnSync(['bun', join(dir, '../node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.build.json')], { stdout: 'inherit', stderr: 'inherit' })
if (tsc.exitCode !== 0) process.exit(tsc.exitCode ?? 1)
// Node's ESM resolution (module NodeNext, what most shops use) wants file extensions on
// relative imports; tsc keeps the extensionless paths of the source in its declarations.
const types = join(dir, 'dist/types')
for (const file of readdirSync(types, { recursive: true, encoding: 'utf8' })) {
  if (!file.endsWith('.d.ts')) continue
  const path = join(types, file)
  const text = readFileSync(path, 'utf8').replace(/((?:from\s+|import\()(['"]))(\.{1,2}\/[^'"]+?)(?<!\.js)\2/g, '$1$3.js$2')
  writeFileSync(path, text)
}
console.error('built client/dist')
