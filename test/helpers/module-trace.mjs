/**
 * `node --import test/helpers/module-trace.mjs ...`: appends the URL of every module the process
 * loads (ESM, and CommonJS entered from ESM) to the file named by $MODULE_TRACE_FILE, one a line.
 * test/e2e/startup.test.ts uses it to check what a command loads, which decides its start-up cost.
 */
import { register } from 'node:module'

register('./module-trace-hooks.mjs', import.meta.url)
