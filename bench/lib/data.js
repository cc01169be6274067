/**
 * The bench's input: JSON lines of about 100 bytes, varied like real events (not one repeated
 * line, which would flatter compression and caches), the same on every run (seeded).
 */
import fs from 'node:fs'

const SKUS = ['desk-lamp', 'usb-c-hub', 'notebook-a5', 'coffee-1kg', 'headphones', 'chair-mesh', 'monitor-27']

function lcg(seed) {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

/** Writes `records` lines to `file`; returns { records, bytes, avgLineBytes }. */
export function writeLines(file, records, seed = 42) {
  const random = lcg(seed)
  const fd = fs.openSync(file, 'w')
  const t0 = Date.UTC(2026, 10, 20, 10, 0, 0)
  let bytes = 0
  try {
    const chunk = []
    for (let i = 0; i < records; i++) {
      const ts = new Date(t0 + i * 37).toISOString()
      const customer = `c-${(random() * 100_000) | 0}`
      const amount = (random() * 1000).toFixed(2)
      const sku = SKUS[(random() * SKUS.length) | 0]
      chunk.push(`{"id":${i},"ts":"${ts}","customer":"${customer}","sku":"${sku}","amount":${amount}}`)
      if (chunk.length === 10_000 || i === records - 1) {
        const text = chunk.join('\n') + '\n'
        bytes += Buffer.byteLength(text)
        fs.writeSync(fd, text)
        chunk.length = 0
      }
    }
  } finally {
    fs.closeSync(fd)
  }
  return { records, bytes, avgLineBytes: bytes / records }
}
