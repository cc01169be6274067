#!/usr/bin/env node
// The CLI runs from its bundle (`npm run build` writes it; see build/bundle-cli.mjs): @oclif/core
// and the commands load from a few files instead of a few hundred modules.
await import('../dist/bundle/run.js')
