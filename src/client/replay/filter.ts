/**
 * `sluice replay --filter EXPR`: an expression over the record's envelope, compiled by filtrex 3
 * (a parser generated from a grammar; it compiles to a closure over its own operators and never
 * calls eval or Function on the text).
 *
 * The record, as the expression sees it:
 *   topic, partition, offset, timestamp  as in the envelope
 *   key                                  the key as a string (null for a null key)
 *   value                                the value parsed as JSON when it is JSON, else the string
 *   headers                              an object: header name -> value as a string
 * Fields go deeper with dots (`value.customer.country`); a missing field is null, never an error.
 *
 * filtrex's syntax: == != < <= > >=, and or not, in / not in (`key in ("a", "b")`), + - * / mod,
 * "double-quoted strings", ~= for a regular expression match, and function calls. sluice adds the
 * functions startsWith(s, prefix), endsWith(s, suffix), contains(s, part), and rewrites the infix
 * forms `X startsWith "p"`, `X endsWith "s"`, `X contains "p"` into those calls (the only
 * preprocessing: Kafka users write them infix, filtrex has no infix string operators).
 */
import { compileExpression, useDotAccessOperatorAndOptionalChaining } from 'filtrex'
import { SluiceError } from '../../common/errors.js'
import { checkFilter, filterError } from './filter-check.js'

export interface FilterRecord {
  topic: string
  partition: number
  offset: number
  timestamp: number
  key: string | null
  value: unknown
  headers: Record<string, string | null>
}

export type RecordFilter = (r: FilterRecord) => boolean

const str = (s: unknown): s is string => typeof s === 'string'
const FUNCTIONS = {
  startsWith: (s: unknown, p: unknown): boolean => str(s) && str(p) && s.startsWith(p),
  endsWith: (s: unknown, p: unknown): boolean => str(s) && str(p) && s.endsWith(p),
  contains: (s: unknown, p: unknown): boolean => str(s) && str(p) && s.includes(p),
}

// An operand: a dotted field or a literal; the argument: a double-quoted string literal.
const INFIX = /([A-Za-z_$][\w$.]*|"(?:[^"\\]|\\.)*")\s+(startsWith|endsWith|contains)\s+("(?:[^"\\]|\\.)*")/g

/** `key startsWith "eu-"` -> `startsWith(key, "eu-")` (outside string literals). */
export function rewriteInfix(expr: string): string {
  return rewrite(expr).text
}

/** One rewritten span: [from, from + length) of the original became [at, at + newLength). */
interface Span { from: number; length: number; at: number; newLength: number }

function rewrite(expr: string): { text: string; spans: Span[] } {
  // Split on string literals so that text inside quotes is never rewritten; rejoin pieces around them.
  let out = ''
  let last = 0
  const spans: Span[] = []
  for (const m of expr.matchAll(INFIX)) {
    if (insideString(expr, m.index)) continue
    out += expr.slice(last, m.index)
    const call = `${m[2]}(${m[1]}, ${m[3]})`
    spans.push({ from: m.index, length: m[0].length, at: out.length, newLength: call.length })
    out += call
    last = m.index + m[0].length
  }
  return { text: out + expr.slice(last), spans }
}

/** A column of the rewritten text back to the original's (inside a rewritten span: its start). */
function originalColumn(spans: Span[], column: number): number {
  let delta = 0
  for (const s of spans) {
    if (column < s.at) break
    if (column < s.at + s.newLength) return s.from
    delta = s.from + s.length - (s.at + s.newLength)
  }
  return column + delta
}

/**
 * The column of a jison error: its message shows up to 20 characters before the error (after
 * "..." when cut) above a line of dashes ending in "^" under the error.
 */
function errorColumn(text: string, message: string): number | undefined {
  const lines = message.split('\n')
  const caret = lines.findIndex((l) => /^-*\^$/.test(l))
  if (caret < 1) return undefined
  const shown = lines[caret - 1]!
  const at = lines[caret]!.length - 1
  if (!shown.startsWith('...')) return at
  const before = shown.slice(3, at)
  const found = text.indexOf(shown.slice(3))
  return found >= 0 ? found + before.length : undefined
}

function insideString(text: string, index: number): boolean {
  let inside = false
  for (let i = 0; i < index; i++) {
    if (text[i] === '\\' && inside) i++
    else if (text[i] === '"') inside = !inside
  }
  return inside
}

// A comparison with null (a missing field) or between different types does not match, `!=`
// included: `value.stauts != "ok"` must not accept every record because of a typo.
const comparable = (a: unknown, b: unknown): boolean => a !== null && a !== undefined && b !== null && b !== undefined && typeof a === typeof b
const OPERATORS = {
  '==': (a: unknown, b: unknown): boolean => comparable(a, b) && a === b,
  '!=': (a: unknown, b: unknown): boolean => comparable(a, b) && a !== b,
}
const CONSTANTS = { true: true, false: false, null: null }

/**
 * Compiles --filter. A USAGE error (exit 2) for a name, function or quote that cannot mean what
 * was meant (filter-check.ts), or filtrex's message with a caret under the column when it does
 * not parse.
 */
export function compileFilter(expr: string): RecordFilter {
  checkFilter(expr)
  const { text, spans } = rewrite(expr)
  let fn: (data: unknown) => unknown
  try {
    fn = compileExpression(text, { extraFunctions: FUNCTIONS, customProp: useDotAccessOperatorAndOptionalChaining, operators: OPERATORS, constants: CONSTANTS })
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    // filtrex's first line and its "Expecting ..." line; its own diagram is replaced by ours.
    const detail = message.split('\n').filter((l) => !/^-*\^$/.test(l) && !l.includes(text.slice(0, 10)) && !l.startsWith('...')).join(' ').replace(/\s+/g, ' ').trim()
    const column = errorColumn(text, message)
    if (column === undefined) throw new SluiceError('USAGE', `--filter "${expr}": ${detail}`)
    throw filterError(expr, originalColumn(spans, column), detail)
  }
  // filtrex returns errors (e.g. a comparison of incompatible types) as values: they do not match.
  return (r) => {
    const result = fn(r)
    return result === true || (typeof result === 'number' && result !== 0)
  }
}
