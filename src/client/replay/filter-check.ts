/**
 * Checks a --filter expression for what filtrex would accept but cannot be what the user meant,
 * before it is compiled: filtrex resolves any bare word as a field (so `value.status == failed`
 * compares with a missing field and silently matches nothing), reads 'single quotes' as a quoted
 * field name rather than a string, and fails an unknown function only when a record is tested
 * (the failure is returned as a value, i.e. "no match"). Each of these is a usage error here,
 * with the column and a hint, so a mistake is loud instead of an empty result.
 */
import { SluiceError } from '../../common/errors.js'

/** The record's fields as the expression sees them (see filter.ts). */
export const FILTER_FIELDS = ['topic', 'partition', 'offset', 'timestamp', 'key', 'value', 'headers'] as const
/** filtrex's own functions plus the ones sluice adds. */
export const FILTER_FUNCTIONS = ['abs', 'ceil', 'floor', 'log', 'log2', 'log10', 'max', 'min', 'round', 'sqrt', 'exists', 'empty', 'startsWith', 'endsWith', 'contains']
/** Words of filtrex's grammar, the constants sluice defines, and the infix forms of sluice's functions. */
const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'mod', 'if', 'then', 'else', 'of', 'true', 'false', 'null', 'startsWith', 'endsWith', 'contains'])

/** A USAGE error for --filter that points at a column of the expression (a caret under it). */
export function filterError(expr: string, column: number, message: string): SluiceError {
  return new SluiceError('USAGE', `--filter "${expr}": ${message} (column ${column + 1})`, {
    details: [expr, `${' '.repeat(column)}^`],
  })
}

/** Throws the first mistake found in expr (as the user typed it), else returns. */
export function checkFilter(expr: string): void {
  let i = 0
  while (i < expr.length) {
    const c = expr[i]!
    if (c === '"') {
      i = skipString(expr, i)
      continue
    }
    if (c === "'") {
      const end = expr.indexOf("'", i + 1)
      const text = expr.slice(i + 1, end < 0 ? expr.length : end)
      throw filterError(expr, i, `'${text}': strings take double quotes ("${text}"); single quotes would name a field`)
    }
    const two = expr.slice(i, i + 2)
    if (two === '&&' || two === '||') {
      throw filterError(expr, i, `"${two}" is not an operator here: write "${two === '&&' ? 'and' : 'or'}"`)
    }
    if (/[0-9]/.test(c)) {
      i += /^\d*\.?\d+(?:[eE][+-]?\d+)?/.exec(expr.slice(i))?.[0].length ?? 1
      continue
    }
    const word = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*/.exec(expr.slice(i))?.[0]
    if (word === undefined) {
      i++
      continue
    }
    const isCall = /^\s*\(/.test(expr.slice(i + word.length))
    if (KEYWORDS.has(word)) {
      // `not (x)`, `in ("a")`: grammar words, not calls.
    } else if (isCall) {
      if (!FILTER_FUNCTIONS.includes(word)) {
        throw filterError(expr, i, `unknown function "${word}"; the functions are ${FILTER_FUNCTIONS.join(', ')}`)
      }
    } else if (!(FILTER_FIELDS as readonly string[]).includes(word.split('.')[0]!)) {
      throw filterError(expr, i, `unknown name "${word}": the fields are ${FILTER_FIELDS.join(', ')} (deeper with dots: value.status); a string takes double quotes ("${word}")`)
    }
    i += word.length
  }
}

function skipString(expr: string, start: number): number {
  for (let i = start + 1; i < expr.length; i++) {
    if (expr[i] === '\\') i++
    else if (expr[i] === '"') return i + 1
  }
  return expr.length
}
