import { describe, expect, it } from 'vitest'
import { LineSplitter, LineTooLongError } from '../../../src/client/produce/lines.js'

function split(chunks: string[], lineBytesMax = 1 << 20, exact = false): [number, string][] {
  const out: [number, string][] = []
  const s = new LineSplitter(lineBytesMax, exact)
  const onLine = (buf: Buffer, start: number, end: number, lineNo: number): boolean => {
    out.push([lineNo, buf.toString('utf8', start, end)])
    return true
  }
  for (const c of chunks) s.push(Buffer.from(c), false, onLine)
  s.end(onLine)
  return out
}

describe('client/produce/lines', () => {
  it('splits lines, numbers them from 1 counting blank ones, accepts CRLF and a last line without newline', () => {
    expect(split(['a\nb\r\n\n  \n\t\r\nc'])).toEqual([
      [1, 'a'],
      [2, 'b'],
      [6, 'c'],
    ])
  })

  it('exact (--text): keeps a final CR and lines of spaces, skips only empty lines, as kcat -P', () => {
    expect(split(['a\nb\r\n\n  \n\t\r\nc'], 1 << 20, true)).toEqual([
      [1, 'a'],
      [2, 'b\r'],
      [4, '  '],
      [5, '\t\r'],
      [6, 'c'],
    ])
  })

  it('joins lines across chunks, at every split point', () => {
    const text = '{"a":1}\r\n{"bb":22}\n\n{"ccc":"é"}\n'
    const bytes = Buffer.from(text)
    const want = split([text])
    for (let cut = 0; cut <= bytes.length; cut++) {
      for (let cut2 = cut; cut2 <= bytes.length; cut2 += 3) {
        const out: [number, string][] = []
        const s = new LineSplitter(1 << 20)
        const onLine = (buf: Buffer, start: number, end: number, lineNo: number): boolean => {
          out.push([lineNo, buf.toString('utf8', start, end)])
          return true
        }
        s.push(bytes.subarray(0, cut), false, onLine)
        s.push(bytes.subarray(cut, cut2), false, onLine)
        s.push(bytes.subarray(cut2), false, onLine)
        s.end(onLine)
        expect(out).toEqual(want)
      }
    }
  })

  it('stops when the callback says so and hands out nothing after', () => {
    const seen: number[] = []
    const s = new LineSplitter(100)
    const onLine = (_b: Buffer, _s: number, _e: number, lineNo: number): boolean => {
      seen.push(lineNo)
      return lineNo < 2
    }
    expect(s.push(Buffer.from('a\nb\nc\n'), true, onLine)).toBe(false)
    expect(s.push(Buffer.from('d\n'), true, onLine)).toBe(false)
    expect(s.end(onLine)).toBe(false)
    expect(seen).toEqual([1, 2])
  })

  it('refuses a line longer than the bound without buffering it all', () => {
    const s = new LineSplitter(10)
    const onLine = (): boolean => true
    s.push(Buffer.from('short\n'), true, onLine)
    expect(() => {
      for (let i = 0; i < 5; i++) s.push(Buffer.from('xxxx'), true, onLine)
    }).toThrow(LineTooLongError)
    expect(() => new LineSplitter(3).push(Buffer.from('abcdef\n'), true, onLine)).toThrow(/line 1 is longer than 3 bytes/)
  })
})
