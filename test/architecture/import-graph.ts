/**
 * The import graph of src/: every relative import of every source file, as src-relative paths
 * (`client/daemon.ts -> common/pid-lock.ts`). Read with TypeScript's own pre-processor, so that
 * `import ... from`, `import type`, `export ... from`, side-effect imports and dynamic `import()`
 * all count, and imports inside comments do not.
 */
import fs from 'node:fs'
import path from 'node:path'
import ts from 'typescript'

export interface ImportEdge {
  /** src-relative path of the importing file, e.g. `client/daemon.ts`. */
  from: string
  /** src-relative path of the imported file. */
  to: string
  /** The specifier as written, e.g. `../common/pid-lock.js`. */
  spec: string
}

const SOURCE = /\.(ts|tsx)$/

function sourceFiles(dir: string, root: string, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) sourceFiles(full, root, out)
    else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path.relative(root, full).split(path.sep).join('/'))
  }
  return out
}

/** The file a relative specifier names: `x.js` is `x.ts` or `x.tsx`, a folder is its index. */
function resolve(root: string, fromFile: string, spec: string): string | undefined {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), spec))
  const stem = base.replace(/\.(js|jsx|ts|tsx|mjs)$/, '')
  for (const candidate of [`${stem}.ts`, `${stem}.tsx`, `${base}/index.ts`, base]) {
    if (fs.existsSync(path.join(root, candidate)) && fs.statSync(path.join(root, candidate)).isFile()) return candidate
  }
  return undefined
}

/** Every relative import in the files under `root`; throws on one that names no file. */
export function readImportGraph(root: string): ImportEdge[] {
  const edges: ImportEdge[] = []
  for (const file of sourceFiles(root, root).sort()) {
    const text = fs.readFileSync(path.join(root, file), 'utf8')
    for (const { fileName: spec } of ts.preProcessFile(text, true, true).importedFiles) {
      if (!spec.startsWith('.')) continue
      const to = resolve(root, file, spec)
      if (to === undefined) throw new Error(`${file}: import '${spec}' names no file under src/`)
      edges.push({ from: file, to, spec })
    }
  }
  return edges
}

/** The top folder of a src-relative path: `client/consume/fetcher.ts` -> `client`. */
export function folderOf(file: string): string {
  const slash = file.indexOf('/')
  return slash === -1 ? '.' : file.slice(0, slash)
}

/**
 * One cycle per strongly connected set of files that spans more than one folder, each given as a
 * path of files that starts and ends with the same file and crosses a folder boundary.
 */
export function crossFolderCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>()
  for (const e of edges) {
    if (!next.has(e.from)) next.set(e.from, [])
    next.get(e.from)!.push(e.to)
  }
  const components = stronglyConnected([...new Set(edges.flatMap((e) => [e.from, e.to]))].sort(), next)
  const cycles: string[][] = []
  for (const component of components) {
    const members = new Set(component)
    const crossing = edges.find((e) => members.has(e.from) && members.has(e.to) && folderOf(e.from) !== folderOf(e.to))
    if (!crossing) continue
    // The shortest way back from the edge's target to its source closes the cycle.
    const back = shortestPath(crossing.to, crossing.from, next, members)
    cycles.push([crossing.from, ...back])
  }
  return cycles
}

function shortestPath(start: string, goal: string, next: Map<string, string[]>, within: Set<string>): string[] {
  const cameFrom = new Map<string, string>([[start, start]])
  const queue = [start]
  for (let i = 0; i < queue.length; i++) {
    const at = queue[i]!
    if (at === goal) break
    for (const to of next.get(at) ?? []) {
      if (within.has(to) && !cameFrom.has(to)) {
        cameFrom.set(to, at)
        queue.push(to)
      }
    }
  }
  const pathBack = [goal]
  while (pathBack[0] !== start) pathBack.unshift(cameFrom.get(pathBack[0]!)!)
  return pathBack
}

/** Tarjan's algorithm, iterative so that a long chain of imports cannot overflow the stack. */
function stronglyConnected(nodes: string[], next: Map<string, string[]>): string[][] {
  let counter = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const onStack = new Set<string>()
  const stack: string[] = []
  const out: string[][] = []
  for (const root of nodes) {
    if (index.has(root)) continue
    const work: { node: string; edge: number }[] = [{ node: root, edge: 0 }]
    index.set(root, counter)
    low.set(root, counter++)
    stack.push(root)
    onStack.add(root)
    while (work.length > 0) {
      const frame = work[work.length - 1]!
      const targets = next.get(frame.node) ?? []
      if (frame.edge < targets.length) {
        const to = targets[frame.edge++]!
        if (!index.has(to)) {
          index.set(to, counter)
          low.set(to, counter++)
          stack.push(to)
          onStack.add(to)
          work.push({ node: to, edge: 0 })
        } else if (onStack.has(to)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(to)!))
        }
        continue
      }
      work.pop()
      const parent = work[work.length - 1]
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!))
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = []
        let member: string
        do {
          member = stack.pop()!
          onStack.delete(member)
          component.push(member)
        } while (member !== frame.node)
        if (component.length > 1) out.push(component.sort())
      }
    }
  }
  return out
}
