// The CLI's entry inside the bundle (build/bundle-cli.mjs writes it to dist/bundle/run.js, which
// bin/run.js imports). oclif finds the package root, its package.json and manifest, from `dir`.
import { execute } from '@oclif/core'

await execute({ dir: import.meta.url })
