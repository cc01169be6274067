/**
 * The daemon on its controller quorum, end to end: 3 brokers that are also the 3 voters (combined
 * mode). kcat and kafkajs produce with acks=all while kafkajs creates topics; the broker of the
 * active controller (the quorum leader) is killed: the two voters left elect a new leader, and
 * every topic and record acknowledged before is there. Then a second broker is killed, leaving
 * no majority: `sluice topic create` fails (exit 7, QUORUM_NO_MAJORITY's message) while produce
 * to a partition whose leader lives goes on; with both back, topics are created again.
 *
 * Sessions are shortened through IncrementalAlterConfigs (test/helpers/broker-configs.ts) so the
 * partitions' failover takes a second. Nothing here asserts a duration: it waits for conditions.
 */
import fs from 'node:fs'
import path from 'node:path'
import { execa } from 'execa'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyBrokerConfigs, FAST_FAILOVER_CONFIGS, HANG_MS, incrementalBrokerConfigs, KAFKAJS_UNDER_LOAD, sluice, sluiceJson, startDaemon, stopDaemon, until, type TestDaemon } from '../helpers/index.js'

let d: TestDaemon

beforeAll(async () => {
  d = await startDaemon({ brokers: 3 })
})

afterAll(async () => {
  if (d) await stopDaemon(d)
})

const run = (args: string[]) => sluice(args, { home: d.home, env: d.env })

const json = <T>(args: string[]): Promise<T> => sluiceJson<T>(args, { home: d.home, env: d.env })

/** The active controller `broker list` marks: the quorum leader, -1 while there is none. */
const controllerId = async (): Promise<number> => (await json<{ controllerId: number }>(['broker', 'list'])).controllerId

/** Every broker's address: kcat must reach the cluster whichever brokers are down. */
const allBrokers = (): string => d.brokers.map((b) => `${b.host}:${b.port}`).join(',')

/** Every value in topic `events`, read to its end with kcat. */
async function eventsValues(): Promise<Set<string>> {
  const r = await execa('kcat', ['-b', allBrokers(), '-C', '-t', 'events', '-o', 'beginning', '-e', '-q', '-f', '%s\\n'], { timeout: HANG_MS, reject: false })
  expect(r.exitCode, r.stderr).toBe(0)
  return new Set(r.stdout.split('\n').filter((l) => l !== ''))
}

describe('e2e/quorum-failover', () => {
  it('keeps what was acknowledged across the loss of the active controller, and freezes metadata without a majority', async () => {
    const kafka = new Kafka({
      ...KAFKAJS_UNDER_LOAD,
      brokers: allBrokers().split(','),
      logLevel: logLevel.NOTHING,
      retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1_000 },
    })
    const admin = kafka.admin()
    const producer = kafka.producer({ allowAutoTopicCreation: false })
    await Promise.all([admin.connect(), producer.connect()])
    try {
      await admin.createTopics({ topics: [{ topic: 'events', numPartitions: 3, replicationFactor: 3 }] })
      const created: string[] = []
      const acked = new Set<string>()
      const kcatValues = Array.from({ length: 50 }, (_, i) => `k${i}`)
      // Topics created while both clients produce with acks=all (and the session is shortened).
      await applyBrokerConfigs(incrementalBrokerConfigs(d), FAST_FAILOVER_CONFIGS, () =>
        Promise.all([
          (async () => {
            for (let i = 0; i < 6; i++) if (await admin.createTopics({ topics: [{ topic: `t${i}`, numPartitions: 1, replicationFactor: 3 }] })) created.push(`t${i}`)
          })(),
          (async () => {
            for (let i = 0; i < 30; i++) {
              await producer.send({ topic: 'events', acks: -1, messages: [{ value: `j${i}` }] })
              acked.add(`j${i}`)
            }
          })(),
          (async () => {
            const r = await execa('kcat', ['-b', allBrokers(), '-P', '-t', 'events', '-X', 'acks=all'], { input: kcatValues.join('\n') + '\n', timeout: HANG_MS, reject: false })
            // kcat exits 0 only once every message was delivered (acknowledged).
            expect(r.exitCode, r.stderr).toBe(0)
            for (const v of kcatValues) acked.add(v)
          })(),
        ]),
      )
      expect(created).toHaveLength(6)

      // The active controller's broker dies: the two voters left elect a new quorum leader.
      const first = await until('a quorum leader', async () => ((await controllerId()) > 0 ? controllerId() : undefined))
      expect((await run(['broker', 'kill', String(first)])).exitCode).toBe(0)
      const second = await until('a new quorum leader', async () => {
        const id = await controllerId()
        return id > 0 && id !== first ? id : undefined
      })
      const topics = (await json<{ topics: { topic: string }[] }>(['topic', 'list'])).topics.map((t) => t.topic)
      for (const t of created) expect(topics).toContain(t)
      const values = await eventsValues()
      for (const v of acked) expect(values.has(v), `acknowledged ${v}`).toBe(true)

      // A majority down: metadata is frozen, and says so.
      expect((await run(['broker', 'kill', String(second)])).exitCode).toBe(0)
      const alive = d.brokers.map((b) => b.id).find((id) => id !== first && id !== second)!
      const refused = await run(['topic', 'create', 'frozen'])
      expect(refused.exitCode, `${refused.stderr}\n${fs.readFileSync(path.join(d.home, 'logs', 'daemon.log'), 'utf8').split('\n').slice(-40).join('\n')}`).toBe(7)
      expect(refused.stderr).toMatch(/controller quorum has no majority/)
      // Produce to a partition the live broker leads goes on (acks=1: the others are down).
      const led = (await json<{ partitions: { partition: number; leader: number }[] }>(['topic', 'describe', 'events'])).partitions.find((p) => p.leader === alive)
      expect(led, `a partition led by broker ${alive}`).toBeDefined()
      const frozen = await execa('kcat', ['-b', allBrokers(), '-P', '-t', 'events', '-p', String(led!.partition), '-X', 'acks=1'], { input: 'while-frozen\n', timeout: HANG_MS, reject: false })
      expect(frozen.exitCode, frozen.stderr).toBe(0)
      // A controlled shutdown cannot commit either: the broker stops without it, and says why.
      const stopped = await run(['broker', 'kill', String(alive), '--clean', '--json'])
      expect(stopped.exitCode, stopped.stderr).toBe(0)
      expect(JSON.parse(stopped.stdout)).toMatchObject({ id: alive, clean: true, controlled: false })
      const told = await run(['broker', 'kill', String(alive), '--clean'])
      expect(told.stderr).toMatch(/already down/)

      // All back: the quorum has a majority again and topics are created.
      for (const id of [first, second, alive]) expect((await run(['broker', 'start', String(id)])).exitCode).toBe(0)
      const after = await run(['topic', 'create', 'after'])
      expect(after.exitCode, after.stderr).toBe(0)
      // Everything acknowledged with acks=all is still there. The record produced while frozen was
      // acknowledged with acks=1 by the one live replica, uncommitted (the other ISR member was
      // down): it stays if that broker leads its partition again, and goes if the other ISR member
      // is elected first, as in Kafka. Which one wins is a race (the controller fences the broker
      // it has not heard from as soon as it has a majority; this test lost it once under load),
      // so the test counts on neither.
      await until('every record acknowledged with acks=all, readable after the restarts', async () => {
        const values = await eventsValues()
        return [...acked].every((v) => values.has(v)) ? true : undefined
      })
    } finally {
      await Promise.allSettled([producer.disconnect(), admin.disconnect()])
    }
  })
})
