/** Calls `fn` every `intervalMs` while mounted (the latest `fn`, without restarting the timer). */
import { useEffect, useRef } from 'react'

export function useInterval(fn: () => void, intervalMs: number | null): void {
  const latest = useRef(fn)
  latest.current = fn
  useEffect(() => {
    if (intervalMs === null) return
    const timer = setInterval(() => latest.current(), intervalMs)
    return () => clearInterval(timer)
  }, [intervalMs])
}
