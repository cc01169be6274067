/**
 * Child process of the SIGKILL test (leveldb.test.ts transpiles it with the storage sources):
 * appends to three partitions as fast as it can, with many appends in flight, and prints one line
 * per acknowledged append (`partition baseOffset tag`). Every other batch is large enough for the
 * batch store, so a kill can fall between the two writes of a group commit. Writes to a pipe are synchronous on Linux,
 * so every line the parent reads was acknowledged before the kill.
 */
import { LevelLogStore } from '../../src/storage/leveldb.js'
import { makeBatch } from './batches.js'

const IN_FLIGHT_MAX = 64

async function main(): Promise<void> {
  const [dir, topicId] = process.argv.slice(2) as [string, string]
  const store = new LevelLogStore(dir, { batchStoreMinBytes: 1000 })
  await store.open()
  const logs = await Promise.all([0, 1, 2].map((p) => store.partition(topicId, p)))
  let inFlight = 0
  let wake: (() => void) | null = null
  for (let i = 0; ; i++) {
    const p = i % 3
    const tag = `t${i}`
    inFlight++
    void logs[p]!.appendAsLeader(makeBatch({ records: 1 + (i % 5), tag, payloadBytes: i % 2 === 0 ? 200 : 2000 }), 0).then((info) => {
      process.stdout.write(`${p} ${info.baseOffset} ${tag}\n`)
      inFlight--
      wake?.()
    })
    if (inFlight >= IN_FLIGHT_MAX) await new Promise<void>((resolve) => (wake = resolve))
  }
}

void main()
