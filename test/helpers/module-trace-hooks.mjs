/** The loader hooks of module-trace.mjs (they run on the loader's own thread). */
import fs from 'node:fs'

const file = process.env.MODULE_TRACE_FILE

export async function load(url, context, nextLoad) {
  if (file && !url.startsWith('node:')) fs.appendFileSync(file, `${url}\n`)
  return nextLoad(url, context)
}
