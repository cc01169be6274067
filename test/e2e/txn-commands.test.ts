/**
 * `sluice txn list` and `txn describe` through the built binary, with kafkajs transactional
 * producers: a transaction left open, one that ended, and a hung one (open longer than its
 * timeout: the brokers' timed-out-transaction sweep is set to once an hour first, so the
 * coordinator does not abort it). Exit 4 for an unknown id, 2 for an unknown --state.
 */
import kafkajs from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KAFKAJS_UNDER_LOAD, sluice, startDaemon, stopDaemon, until, type TestDaemon } from '../helpers/index.js'

const { Kafka, logLevel } = kafkajs
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'

let d: TestDaemon
let kafka: InstanceType<typeof Kafka>
const producers: kafkajs.Producer[] = []
const run = (args: string[]) => sluice(args, { home: d.home, env: d.env })

interface Txn {
  transactionalId: string
  state: string
  producerId: number
  producerEpoch: number
  timeoutMs: number
  startTimeMs: number | null
  ageMs: number | null
  hung: boolean
  coordinator: number
  partitions: { topic: string; partitions: number[] }[]
}

async function list(...args: string[]): Promise<Txn[]> {
  const r = await run(['txn', 'list', '--json', ...args])
  expect(r.exitCode, r.stderr).toBe(0)
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Txn)
}

/** A transaction opened by `transactionalId` on `partitions` of topic tc, left open. */
async function openTransaction(transactionalId: string, partitions: number[], transactionTimeout?: number): Promise<void> {
  const p = kafka.producer({ transactionalId, maxInFlightRequests: 1, idempotent: true, transactionTimeout })
  await p.connect()
  producers.push(p)
  const t = await p.transaction()
  await t.send({ topic: 'tc', messages: partitions.map((partition) => ({ value: '{}', partition })) })
}

beforeAll(async () => {
  d = await startDaemon({ brokers: 1 })
  kafka = new Kafka({ ...KAFKAJS_UNDER_LOAD, clientId: 'txn-commands', brokers: [d.bootstrap], logLevel: logLevel.NOTHING })
  const c = await run(['topic', 'create', 'tc', '--partitions', '3'])
  expect(c.exitCode, c.stderr).toBe(0)
  // The coordinator aborts transactions past their timeout at each sweep: once an hour from now on.
  const admin = kafka.admin()
  await admin.connect()
  await admin.alterConfigs({
    validateOnly: false,
    resources: [{ type: 4, name: String(d.brokers[0]!.id), configEntries: [{ name: 'transaction.abort.timed.out.transaction.cleanup.interval.ms', value: '3600000' }] }],
  })
  await admin.disconnect()
  await openTransaction('tc-open', [0, 2])
  const done = kafka.producer({ transactionalId: 'tc-done', maxInFlightRequests: 1, idempotent: true })
  await done.connect()
  producers.push(done)
  const t = await done.transaction()
  await t.send({ topic: 'tc', messages: [{ value: '{}', partition: 1 }] })
  await t.commit()
})

afterAll(async () => {
  await Promise.allSettled(producers.map((p) => p.disconnect()))
  if (d) await stopDaemon(d)
})

describe('sluice txn', () => {
  it('txn list shows every transactional id with its state, producer and partitions; --state filters', async () => {
    const all = await list()
    const byId = new Map(all.map((t) => [t.transactionalId, t]))
    expect(byId.get('tc-open')).toMatchObject({ state: 'Ongoing', producerEpoch: 0, hung: false, coordinator: d.brokers[0]!.id, partitions: [{ topic: 'tc', partitions: [0, 2] }] })
    expect(typeof byId.get('tc-open')!.ageMs).toBe('number')
    expect(byId.get('tc-done')).toMatchObject({ state: 'CompleteCommit', startTimeMs: null, ageMs: null, hung: false })
    expect((await list('--state', 'ongoing')).map((t) => t.transactionalId)).toContain('tc-open')
    expect((await list('--state', 'ongoing')).map((t) => t.transactionalId)).not.toContain('tc-done')
    const table = await run(['txn', 'list'])
    expect(table.exitCode, table.stderr).toBe(0)
    expect(table.stdout).toMatch(/^TRANSACTIONAL ID\s+STATE\s+PRODUCER ID\s+EPOCH\s+OPEN FOR\s+TIMEOUT\s+PARTITIONS\s+HUNG/)
    expect(table.stdout.split('\n').find((l) => l.startsWith('tc-open'))).toMatch(/^tc-open\s+Ongoing\s+\d+\s+0\s+\S+.*\s2$/)
  })

  it('txn describe shows the state, producer, timeout, start, age and partitions; exit 4 for an unknown id', async () => {
    const r = await run(['txn', 'describe', 'tc-open', '--json'])
    expect(r.exitCode, r.stderr).toBe(0)
    const t = JSON.parse(r.stdout) as Txn
    expect(t).toMatchObject({ transactionalId: 'tc-open', state: 'Ongoing', timeoutMs: 60_000, partitions: [{ topic: 'tc', partitions: [0, 2] }] })
    expect(typeof t.startTimeMs).toBe('number')
    const human = await run(['txn', 'describe', 'tc-open'])
    expect(human.stdout).toMatch(/state\s+Ongoing\n/)
    expect(human.stdout).toMatch(/partitions\s+tc:0,2/)
    const missing = await run(['txn', 'describe', 'no-such-id'])
    expect(missing.exitCode).toBe(4)
    expect(missing.stderr).toMatch(/transactional id "no-such-id" does not exist/)
  })

  it('a transaction open longer than its timeout is marked hung, and --hung lists only those', async () => {
    // The sweep may still run once at its old interval after the config change, aborting a
    // transaction it finds past its timeout: open another until one stays open long enough.
    let hung: Txn | undefined
    for (let attempt = 0; hung === undefined && attempt < 10; attempt++) {
      const id = `tc-hung-${attempt}`
      await openTransaction(id, [1], 1_000)
      hung = await until(`${id} to be hung or aborted`, async () => {
        const t = (await list()).find((x) => x.transactionalId === id)
        if (t === undefined || (t.state === 'Ongoing' && !t.hung)) return undefined
        return t.hung ? t : null
      }) ?? undefined
    }
    expect(hung).toMatchObject({ state: 'Ongoing', hung: true, timeoutMs: 1_000 })
    expect(typeof hung!.ageMs).toBe('number')
    const onlyHung = await list('--hung')
    expect(onlyHung.map((t) => t.transactionalId)).toEqual([hung!.transactionalId])
    const table = await run(['txn', 'list', '--hung'])
    expect(table.stdout.split('\n').find((l) => l.startsWith(hung!.transactionalId))).toMatch(/HUNG$/)
    const described = await run(['txn', 'describe', hung!.transactionalId])
    expect(described.stdout).toMatch(/state\s+Ongoing \(HUNG: open longer than its timeout\)/)
  })

  it('an unknown --state is exit 2 naming the states', async () => {
    const r = await run(['txn', 'list', '--state', 'Running'])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toMatch(/--state "Running": a transaction state is one of Empty, Ongoing/)
  })
})
