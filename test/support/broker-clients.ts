/**
 * One RawClient per broker, opened on first use and kept: for tests that talk to a cluster's
 * brokers by id. `drop` forgets one (a broker killed or restarted), `close` all of them.
 */
import { expect } from 'vitest'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { RawClient } from './raw-client.js'

export interface NewTopic {
  /** Default 1; -1 with `assignments`. */
  numPartitions?: number
  /** Default -1 (the broker's default). */
  replicationFactor?: number
  configs?: { name: string; value: string }[]
  assignments?: { partitionIndex: number; brokerIds: number[] }[]
  timeoutMs?: number
}

/** A topic's CreateTopics answer (the fields the tests read). */
export interface CreatedTopic {
  name: string
  topicId: string
  errorCode: number
  errorMessage: string | null
}

export interface BrokerClients {
  /** The connection to broker `id`, opened on first use. */
  broker(id: number): Promise<RawClient>
  /** Closes and forgets the connection to one broker (the next `broker(id)` opens a new one). */
  drop(id: number): void
  /** Closes and forgets every connection. */
  close(): void
  /** CreateTopics v7 through broker 1: the topic's answer, whatever its error code. */
  tryCreateTopic(name: string, topic?: NewTopic): Promise<CreatedTopic>
  /** CreateTopics v7 through broker 1, expecting it created: its answer. */
  createTopic(name: string, topic?: NewTopic): Promise<CreatedTopic>
  /** Sets a cluster-wide broker config (IncrementalAlterConfigs v1 through broker 1, the default resource ''), expecting it done. */
  setBrokerConfig(name: string, value: string): Promise<void>
}

/** `portOf(id)`: broker `id`'s port (asked when it is first connected). */
export function brokerClients(portOf: (id: number) => number): BrokerClients {
  const clients = new Map<number, RawClient>()
  const pool: BrokerClients = {
    async broker(id) {
      let c = clients.get(id)
      if (!c) clients.set(id, (c = await RawClient.connect(portOf(id))))
      return c
    },
    drop(id) {
      clients.get(id)?.close()
      clients.delete(id)
    },
    close() {
      for (const c of clients.values()) c.close()
      clients.clear()
    },
    async setBrokerConfig(name, value) {
      const res = await (await pool.broker(1)).request(ApiKey.IncrementalAlterConfigs, 1, {
        resources: [{ resourceType: 4, resourceName: '', configs: [{ name, configOperation: 0, value }] }],
        validateOnly: false,
      })
      expect(res.responses[0].errorCode, res.responses[0].errorMessage).toBe(ErrorCode.NONE)
    },
    async tryCreateTopic(name, topic = {}) {
      const res = await (await pool.broker(1)).request(ApiKey.CreateTopics, 7, {
        topics: [{ name, numPartitions: topic.numPartitions ?? 1, replicationFactor: topic.replicationFactor ?? -1, assignments: topic.assignments ?? [], configs: topic.configs ?? [] }],
        timeoutMs: topic.timeoutMs ?? 5000,
        validateOnly: false,
      })
      return res.topics[0]
    },
    async createTopic(name, topic = {}) {
      const created = await pool.tryCreateTopic(name, topic)
      expect(created.errorCode).toBe(ErrorCode.NONE)
      return created
    },
  }
  return pool
}
