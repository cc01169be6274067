/**
 * `--key PATH`: a jq-like path into a record's JSON value that names its key.
 *
 * Grammar (a subset of jq's paths, enough to reach any field):
 *   .                      the whole value
 *   .name                  a field (letters, digits, _ ; not starting with a digit)
 *   ."any name" .["name"]  a field whose name needs quoting (JSON string syntax)
 *   [N] .[N]               an array element; negative N counts from the end
 * chained: `.customer.id`, `.items[0].sku`, `."order-id"`.
 *
 * What the key becomes (as users of jq would expect; `jq -r PATH` prints the same text):
 *   a string              its text (UTF-8), without quotes
 *   a number, true/false  its JSON text (`42`, `true`); a number is as JavaScript prints it,
 *                         exact for integers up to 2^53
 *   an object or array    its JSON text, compact
 *   null, or missing      no key (null): the record is unkeyed and spread like any unkeyed record;
 *                         the summary counts these so a mistyped path does not go unnoticed
 * A path through something that is not an object or array (`.a.b` where .a is a string) is missing.
 */
import { SluiceError } from '../../common/errors.js'

export type PathStep = string | number
export type KeyPath = readonly PathStep[]

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*/

function bad(path: string, why: string): SluiceError {
  return new SluiceError('USAGE', `bad --key path "${path}": ${why} (examples: .id, .customer.id, .items[0].sku, ."order-id")`)
}

/** Reads a JSON string literal starting at text[i] (a quote); returns it and the index after it. */
function readQuoted(path: string, i: number): [string, number] {
  let j = i + 1
  while (j < path.length && path[j] !== '"') j += path[j] === '\\' ? 2 : 1
  if (j >= path.length) throw bad(path, 'unterminated quoted name')
  try {
    return [JSON.parse(path.slice(i, j + 1)) as string, j + 1]
  } catch {
    throw bad(path, `bad quoted name ${path.slice(i, j + 1)}`)
  }
}

/** Reads `[...]` starting at path[i]; returns the step and the index after the `]`. */
function readBracket(path: string, i: number): [PathStep, number] {
  let step: PathStep
  let j = i + 1
  if (path[j] === '"') {
    ;[step, j] = readQuoted(path, j)
  } else {
    const m = /^-?\d+/.exec(path.slice(j))
    if (!m) throw bad(path, `expected an index or a quoted name after "[" at position ${i}`)
    step = Number(m[0])
    if (!Number.isSafeInteger(step)) throw bad(path, `index ${m[0]} is too large`)
    j += m[0].length
  }
  if (path[j] !== ']') throw bad(path, `expected "]" at position ${j}`)
  return [step, j + 1]
}

export function parseKeyPath(path: string): KeyPath {
  const text = path.trim()
  if (text === '') throw bad(path, 'empty path')
  if (text[0] !== '.' && text[0] !== '[') throw bad(path, 'a path starts with "."')
  const steps: PathStep[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i]
    if (c === '[') {
      let step: PathStep
      ;[step, i] = readBracket(text, i)
      steps.push(step)
    } else if (c === '.') {
      i++
      if (i >= text.length) {
        if (steps.length > 0) throw bad(path, 'a path cannot end with "."')
        break // "." alone: the whole value
      }
      const d = text[i]
      if (d === '"') {
        let name: string
        ;[name, i] = readQuoted(text, i)
        steps.push(name)
      } else if (d === '[') {
        let step: PathStep
        ;[step, i] = readBracket(text, i)
        steps.push(step)
      } else {
        const m = IDENT.exec(text.slice(i))
        if (!m) throw bad(path, `unexpected "${d}" at position ${i}; quote names with other characters`)
        steps.push(m[0])
        i += m[0].length
      }
    } else {
      throw bad(path, `unexpected "${c}" at position ${i}`)
    }
  }
  return steps
}

/** Follows the path through a parsed value; undefined when it is missing. */
export function followPath(value: unknown, path: KeyPath): unknown {
  let v = value
  for (const step of path) {
    if (typeof step === 'number') {
      if (!Array.isArray(v)) return undefined
      v = v[step < 0 ? v.length + step : step]
    } else {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined
      v = Object.hasOwn(v, step) ? (v as Record<string, unknown>)[step] : undefined
    }
  }
  return v
}

/** The key bytes for a parsed value (see the header), or null for no key. */
export function keyFromValue(value: unknown, path: KeyPath): Buffer | null {
  const v = path.length === 0 ? value : followPath(value, path)
  if (v === undefined || v === null) return null
  if (typeof v === 'string') return Buffer.from(v, 'utf8')
  return Buffer.from(JSON.stringify(v), 'utf8')
}
