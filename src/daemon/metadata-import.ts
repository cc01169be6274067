/**
 * A home made before the controller quorum keeps its metadata: the records of its metadata log
 * (<home>/metadata, one LevelDB) become the quorum's first entries on the first start on the
 * quorum, under the same cluster id, and the old directory is then renamed
 * (<home>/metadata.imported), so that it is never imported twice and can be looked at.
 *
 * Idempotent across a crash mid-import: the records are appended in order, so the ones the quorum
 * already holds (a prefix) are skipped, and the directory is renamed only once all are in.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { MetadataRecord } from '../cluster/metadata.js'
import { MetadataLog, type StoredRecord } from './metadata-log.js'
import type { QuorumMetadataLog } from './quorum-metadata-log.js'

/** Records per quorum entry: big enough that a large log imports in few commits, small enough to fetch in one. */
const RECORDS_PER_ENTRY_MAX = 1000

export interface PreQuorumLog {
  dir: string
  clusterId: string | undefined
  records: StoredRecord[]
}

/** The pre-quorum metadata log of the home, read; undefined when the home has none. */
export async function readPreQuorumLog(home: string): Promise<PreQuorumLog | undefined> {
  const dir = path.join(home, 'metadata')
  if (!fs.existsSync(dir)) return undefined
  const log = new MetadataLog(dir)
  try {
    const records = await log.open()
    return { dir, clusterId: await log.get('clusterId'), records }
  } finally {
    await log.close()
  }
}

/**
 * Appends what the quorum lacks of the old log (an open quorum whose cluster id came from it),
 * one entry per run of records with one timestamp (one command's), then renames the old
 * directory. Returns how many records were imported.
 */
export async function importPreQuorumLog(old: PreQuorumLog, quorum: QuorumMetadataLog): Promise<number> {
  await quorum.clusterId()
  // Counted by offset, not by the records read: a snapshot taken mid-import compacts those.
  const have = quorum.metadataEndOffset()
  const missing = old.records.slice(have)
  let i = 0
  while (i < missing.length) {
    const t = missing[i]!.timestampMs
    const batch: MetadataRecord[] = []
    while (i < missing.length && missing[i]!.timestampMs === t && batch.length < RECORDS_PER_ENTRY_MAX) batch.push(missing[i++]!.record)
    await quorum.append(batch, t)
  }
  fs.renameSync(old.dir, `${old.dir}.imported`)
  return missing.length
}
