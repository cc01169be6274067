/**
 * Runs an interop client program (a Go binary, a Python script) that prints one JSON line
 * `{offset, key, value}` per record it read: the records as [offset, key, value]. A failure is
 * thrown as `<what> failed: <its stderr>`.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

export async function programRecords(what: string, file: string, args: string[], timeoutMs: number): Promise<[number, string, string][]> {
  try {
    const { stdout } = await run(file, args, { timeout: timeoutMs })
    return stdout
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => {
        const r = JSON.parse(l) as { offset: number; key: string; value: string }
        return [r.offset, r.key, r.value]
      })
  } catch (error) {
    const e = error as { stderr?: string; message: string }
    throw new Error(`${what} failed: ${e.stderr || e.message}`)
  }
}
