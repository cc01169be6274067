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
import { SluiceError } from '../../cli/errors.js'

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
  // Split on string literals so that text inside quotes is never rewritten; rejoin pieces around them.
  let out = ''
  let last = 0
  for (const m of expr.matchAll(INFIX)) {
    if (insideString(expr, m.index)) continue
    out += expr.slice(last, m.index) + `${m[2]}(${m[1]}, ${m[3]})`
    last = m.index + m[0].length
  }
  return out + expr.slice(last)
}

function insideString(text: string, index: number): boolean {
  let inside = false
  for (let i = 0; i < index; i++) {
    if (text[i] === '\\' && inside) i++
    else if (text[i] === '"') inside = !inside
  }
  return inside
}

/** Compiles --filter; a USAGE error (exit 2) that quotes filtrex's message when it does not parse. */
export function compileFilter(expr: string): RecordFilter {
  let fn: (data: unknown) => unknown
  try {
    fn = compileExpression(rewriteInfix(expr), { extraFunctions: FUNCTIONS, customProp: useDotAccessOperatorAndOptionalChaining })
  } catch (err) {
    const detail = err instanceof Error ? err.message.replace(/\s+/g, ' ').trim() : String(err)
    throw new SluiceError('USAGE', `--filter "${expr}": ${detail}`)
  }
  // filtrex returns errors (e.g. a comparison of incompatible types) as values: they do not match.
  return (r) => {
    const result = fn(r)
    return result === true || (typeof result === 'number' && result !== 0)
  }
}
