#!/usr/bin/env node
/**
 * Bundles the CLI for start-up: `npm run build` runs tsc (into dist/), then this, then
 * `oclif manifest`. A short command such as `sluice produce T` used to load about 230 modules one
 * by one (70 of dist/, 157 CommonJS files of @oclif/core and its dependencies, semver alone 47):
 * resolving, reading and compiling each cost more CPU than the command's own work. esbuild packs
 * them into dist/bundle/: one entry per command (oclif loads the one it runs, by the manifest's
 * path), the CLI's entry (bin/run.js imports it), and chunks of the code they share, @oclif/core
 * included. What a command loads lazily stays lazy (dynamic imports become their own chunks).
 *
 * Not bundled, loaded from node_modules as before:
 * - the other runtime dependencies: native addons (classic-level, @node-rs/crc32), and the heavy
 *   libraries that only some commands load (@platformatic/kafka, Ink and React, filtrex, kleur),
 *   which test/e2e/startup.test.ts recognizes by their node_modules paths;
 * - typescript and ts-node, which @oclif/core looks up only for a development setup.
 * A module of dist/ that locates files next to itself (`import.meta.url`, such as
 * daemon/entry.js, which names daemon/main.js for the daemon's process) is left unbundled and
 * imported through package.json's `#dist/*` import map, so that it still finds them; the daemon
 * itself runs from dist/ as tsc wrote it.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as esbuild from 'esbuild'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const dist = path.join(root, 'dist')
const outdir = path.join(dist, 'bundle')
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))

const external = [...Object.keys(pkg.dependencies).filter((name) => name !== '@oclif/core'), 'typescript', 'ts-node']

function jsFilesUnder(dir) {
  return fs.readdirSync(dir, { recursive: true }).filter((f) => f.endsWith('.js')).map((f) => path.join(dir, f))
}

const entryPoints = [
  { in: path.join(root, 'build', 'cli-entry.js'), out: 'run' },
  ...jsFilesUnder(path.join(dist, 'commands')).map((file) => ({ in: file, out: path.relative(dist, file).slice(0, -'.js'.length) })),
  { in: path.join(dist, 'cli', 'hooks', 'command-not-found.js'), out: 'cli/hooks/command-not-found' },
]

/** Imports of dist/ modules that use import.meta.url become `#dist/...` imports, unbundled. */
const keepSelfLocatingModules = {
  name: 'keep-self-locating-modules',
  setup(build) {
    const selfLocating = new Map()
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (!args.importer.startsWith(dist + path.sep)) return undefined
      const file = path.resolve(args.resolveDir, args.path)
      if (!file.startsWith(dist + path.sep) || file.startsWith(outdir + path.sep)) return undefined
      if (!selfLocating.has(file)) selfLocating.set(file, fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes('import.meta.url'))
      return selfLocating.get(file) ? { path: `#dist/${path.relative(dist, file).split(path.sep).join('/')}`, external: true } : undefined
    })
  },
}

fs.rmSync(outdir, { recursive: true, force: true })
await esbuild.build({
  entryPoints,
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  external,
  plugins: [keepSelfLocatingModules],
  // @oclif/core is CommonJS: its require() of a module left external needs a real require.
  // @oclif/core checks at load that Node satisfies its own `engines` range, with semver (47
  // modules, about a tenth of a short command's CPU); sluice's own range is stricter.
  define: { 'process.env.OCLIF_DISABLE_ENGINE_WARNING': '"1"' },
  banner: { js: "import { createRequire as __sluiceCreateRequire } from 'node:module'; const require = __sluiceCreateRequire(import.meta.url);" },
  sourcemap: 'linked',
  logLevel: 'warning',
})
