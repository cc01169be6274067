/**
 * `node --import test/helpers/module-trace.mjs ...`: appends the URL of every module the process
 * loads (ESM, and CommonJS: entered from ESM, or required, as a bundle's createRequire does) to the
 * file named by $MODULE_TRACE_FILE, one a line. test/e2e/startup.test.ts uses it to check what a
 * command loads, which decides its start-up cost.
 */
import fs from 'node:fs'
import Module, { register } from 'node:module'
import { pathToFileURL } from 'node:url'

register('./module-trace-hooks.mjs', import.meta.url)

// The loader hooks see ESM imports only (Node 20): a require() goes through Module's load.
const file = process.env.MODULE_TRACE_FILE
const load = Module.prototype.load
Module.prototype.load = function (filename) {
  if (file) fs.appendFileSync(file, `${pathToFileURL(filename).href}\n`)
  return load.call(this, filename)
}
