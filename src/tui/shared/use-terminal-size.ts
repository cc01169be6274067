/**
 * The terminal's size in cells, updated on resize. ink-testing-library's stdout has no rows:
 * the fallbacks (or the caller's) apply then.
 */
import { useStdout } from 'ink'
import { useEffect, useState } from 'react'

export interface TerminalSize {
  columns: number
  rows: number
}

export function useTerminalSize(fallback: TerminalSize = { columns: 100, rows: 24 }): TerminalSize {
  const { stdout } = useStdout()
  const read = (): TerminalSize => ({ columns: stdout.columns || fallback.columns, rows: stdout.rows || fallback.rows })
  const [size, setSize] = useState(read)
  useEffect(() => {
    const onResize = (): void => setSize(read())
    stdout.on('resize', onResize)
    return () => {
      stdout.off('resize', onResize)
    }
  }, [stdout])
  return size
}
