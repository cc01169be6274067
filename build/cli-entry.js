// The CLI's entry inside the bundle (build/bundle-cli.mjs writes it to dist/bundle/run.js, which
// bin/run.js imports). oclif finds the package root, its package.json and manifest, from `dir`.
import { execute, settings } from '@oclif/core'

// sluice runs from its build, never from its TypeScript sources. Left to itself, oclif looks for
// those whenever NODE_ENV is "development" or "test" (a developer's shell, any test runner): it
// loads the typescript package to read tsconfig.json, about 0.3 s of CPU on every call, then
// finds no TypeScript loader and uses the build anyway.
settings.enableAutoTranspile = false

await execute({ dir: import.meta.url })
