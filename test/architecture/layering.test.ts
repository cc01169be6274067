/**
 * The layering of src/ (docs/architecture.md, "Layers"), checked on the import graph: every
 * import, type-only and dynamic ones included, points down this table, and no import cycle joins
 * files of different folders. A failure names the file and the import.
 */
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { crossFolderCycles, folderOf, readImportGraph, type ImportEdge } from './import-graph.js'

const SRC = path.resolve(import.meta.dirname, '../../src')

/** What each folder of src/ may import besides itself. */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  // The codec and the cluster's state machines import nothing of sluice (but see LEAVES).
  protocol: [],
  cluster: [],
  // What every layer may import: SluiceError and exit codes, the Logger interface, the home's
  // layout and pid lock shared by the daemon and the CLI that starts it, the control contract.
  common: ['protocol', 'cluster'],
  // cluster/ for the interfaces a store implements for a state machine (RaftLogStore): cluster/
  // imports nothing, and common/ already imports it, so this adds no new path upward.
  storage: ['protocol', 'common', 'cluster'],
  broker: ['protocol', 'storage', 'cluster', 'common'],
  daemon: ['broker', 'storage', 'cluster', 'protocol', 'common'],
  // The client reaches the daemon through the wire and the control contract only.
  client: ['protocol', 'cluster', 'common'],
  // The top (the base command, the views, the commands) never imports the daemon, broker or storage.
  cli: ['client', 'common', 'protocol', 'cluster'],
  tui: ['cli', 'client', 'common', 'protocol', 'cluster'],
  commands: ['cli', 'tui', 'client', 'common', 'protocol', 'cluster'],
}

/**
 * Single files of protocol/ that any folder may import, cluster/ included: each is a table with
 * no imports of its own (checked below). A cluster state machine answers in Kafka error codes,
 * and the one table of them is protocol/errors.ts.
 */
const LEAVES: readonly string[] = ['protocol/errors.ts', 'protocol/api-keys.ts']

/**
 * The one deliberate exception, as `from -> to` src-relative files: the daemon process has two
 * entry points, daemon/main.ts (spawned in the background) and `sluice daemon start --foreground`,
 * which runs the same runDaemon in the CLI's process (loaded on use, so no other command pays for
 * it). An entry point is the top of its process, so it may import the daemon. The last test fails
 * on an entry that no longer matches any import, so the list cannot go stale.
 */
const KNOWN_VIOLATIONS: ReadonlyMap<string, string> = new Map([
  ['commands/daemon/start.ts -> daemon/daemon.ts', 'the foreground daemon entry point'],
  ['commands/daemon/start.ts -> daemon/logger.ts', 'the foreground daemon entry point'],
])

const edgeName = (e: ImportEdge): string => `${e.from} -> ${e.to}`

function allowed(e: ImportEdge): boolean {
  const from = folderOf(e.from)
  const to = folderOf(e.to)
  return from === to || LEAVES.includes(e.to) || (MAY_IMPORT[from]?.includes(to) ?? false)
}

describe('architecture/layering', () => {
  const edges = readImportGraph(SRC)

  it('knows every folder of src/', () => {
    const unknown = [...new Set(edges.map((e) => folderOf(e.from)))].filter((f) => !(f in MAY_IMPORT))
    expect(unknown, 'a new folder needs its place in MAY_IMPORT (and in docs/architecture.md)').toEqual([])
  })

  it('imports only downward', () => {
    const wrong = edges.filter((e) => !allowed(e) && !KNOWN_VIOLATIONS.has(edgeName(e))).map((e) => `${e.from} imports '${e.spec}' (${folderOf(e.from)}/ may not import ${folderOf(e.to)}/)`)
    expect(wrong).toEqual([])
  })

  it('keeps the shared leaves free of imports', () => {
    expect(edges.filter((e) => LEAVES.includes(e.from)).map((e) => `${e.from} imports '${e.spec}'`)).toEqual([])
  })

  it('has no import cycle between files of different folders', () => {
    // Known violations are left out: each of them is an upward import, which is what makes a cycle.
    const cycles = crossFolderCycles(edges.filter((e) => !KNOWN_VIOLATIONS.has(edgeName(e))))
    expect(cycles.map((c) => c.join(' -> '))).toEqual([])
  })

  it('lists no known violation that is gone', () => {
    const present = new Set(edges.filter((e) => !allowed(e)).map(edgeName))
    expect([...KNOWN_VIOLATIONS.keys()].filter((k) => !present.has(k))).toEqual([])
  })
})
