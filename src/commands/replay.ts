import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { SluiceError } from '../common/errors.js'
import { validateTopicName } from '../client/topic-model.js'
import { bootstrapFlag, isolationFlag, parsePartitions, partitionsFlag } from '../cli/kafka-flags.js'
import { resolveCluster } from '../client/kafka.js'
import { parseOffsetSpec } from '../client/offsets.js'
import type { ReplayResult } from '../client/replay/replay.js'

/** `100/s`, `100` -> 100 records per second. */
function parseRate(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(?:\/s)?$/.exec(text.trim())
  const n = m ? Number(m[1]) : Number.NaN
  if (!(n > 0)) throw new SluiceError('USAGE', `--rate "${text}": expected records per second, e.g. 100/s`)
  return n
}

const iso = (ms: number | undefined): string => (ms === undefined ? '-' : new Date(ms).toISOString())

export default class Replay extends BaseCommand<typeof Replay> {
  static override summary = 'Replay a range of a topic to stdout, or re-produce it into another topic.'
  static override description = `Reads each partition from --from to --to (exclusive; default: the end seen at start), keeps the records --filter accepts, and writes them as envelope JSON lines on stdout (as "sluice consume"), or with --into re-produces them (acks=all, idempotent) with their keys, values, headers and timestamps, plus the headers sluice-replay-source-topic, sluice-replay-source-partition and sluice-replay-source-offset. With --into the records keep their partition when both topics have as many partitions; otherwise (or with --repartition) they are partitioned by the murmur2 hash of the key, as Kafka's default partitioner.
Offsets (--from, --to): earliest, latest, N, -N, +N, @<ISO-8601 time with a zone>, @<epoch ms>, @-<duration>, or per partition: 0:120,1:98.
--filter: a filtrex expression over the record: topic, partition, offset, timestamp, key (string), value (parsed JSON, else string), headers.NAME; == != < > <= >=, and, or, not, in, ~= (regex), "strings", and startsWith/endsWith/contains (infix: key startsWith "eu-", or as functions). Example: value.status == "failed" and key startsWith "eu-".
Only committed records are replayed (--isolation read_committed, the default: aborted transactions are skipped and the range ends at the last stable offset); --isolation read_uncommitted replays everything.
--into is exactly once across interruptions: the records and the replay's progress commit together in Kafka transactions, under the transactional id and consumer group sluice-replay-<hash of the source, target, partitions, --from, --to, --filter and --repartition> (or --transactional-id). Run the same command again after any stop (Ctrl-C, a crash, kill -9) and it resumes from the progress committed, over the range the first run fixed; read_committed consumers of the target see each record once. A replay run again after it completed writes nothing. --restart ignores the progress and replays the range again from --from.
Ctrl-C stops cleanly: what was read is written (or acknowledged and committed) and stderr gives the --from that resumes.
Exit codes: 0 done, 130 after Ctrl-C, 2 bad flags or filter, 3 cluster unreachable, 4 unknown topic or partition, or --from outside the data (deleted by retention: the message says where the data starts), 7 other Kafka errors.`
  static override examples = [
    '<%= config.bin %> replay orders --from @2026-11-20T10:00:00Z --to @2026-11-20T11:00:00Z',
    '<%= config.bin %> replay orders --from earliest --filter \'value.status == "failed"\' --into orders-retry',
    '<%= config.bin %> replay orders --from 0:120,1:98 --into orders-scratch --rate 100/s',
    '<%= config.bin %> replay orders --from @-1h --filter \'key startsWith "eu-"\' --dry-run',
  ]
  static override args = {
    topic: Args.string({ description: 'topic to replay', required: true }),
  }
  static override flags = {
    'bootstrap-server': bootstrapFlag,
    from: Flags.string({ description: 'where to start: earliest, N, -N, +N, @<time>, @-<duration>, or per partition 0:120,1:98', required: true, helpValue: 'offset' }),
    to: Flags.string({ description: 'where to stop (exclusive), same grammar; default: the end seen at start', helpValue: 'offset' }),
    partition: partitionsFlag,
    into: Flags.string({ description: 're-produce the records into this topic instead of writing them to stdout', helpValue: 'topic' }),
    repartition: Flags.boolean({ description: 'with --into: partition by the hash of the key instead of keeping the source partition', default: false }),
    filter: Flags.string({ description: 'keep only the records this expression accepts (see the description)', helpValue: 'expr' }),
    rate: Flags.string({ description: 'at most this many records per second (100/s)', helpValue: 'N/s' }),
    speed: Flags.string({ description: 'replay with the original spacing between records (by timestamp), this many times faster: 10x, 0.5x', helpValue: 'Nx', exclusive: ['rate'] }),
    'dry-run': Flags.boolean({ description: 'per partition: the offsets and time span that would be replayed and how many records match; nothing is written', default: false }),
    restart: Flags.boolean({ description: 'with --into: ignore the progress an earlier run of this replay committed and start again at --from', default: false }),
    'transactional-id': Flags.string({
      description: 'with --into: the transactional id and group id that hold the progress [default: sluice-replay-<hash of the command>]',
      helpValue: 'ID',
    }),
    binary: Flags.boolean({ description: 'stdout: base64-encode keys, values and header values that are not UTF-8', default: false }),
    isolation: isolationFlag,
  }

  public async run(): Promise<ReplayResult> {
    const { flags } = this
    // A name Kafka would refuse is a usage error here, not the client library's raw error.
    validateTopicName(this.args.topic)
    const from = parseOffsetSpec(flags.from, '--from')
    const to = flags.to === undefined ? undefined : parseOffsetSpec(flags.to, '--to')
    const partitions = parsePartitions(flags.partition)
    const ratePerSec = flags.rate === undefined ? undefined : parseRate(flags.rate)
    let speed: number | undefined
    if (flags.speed !== undefined) {
      const m = /^(\d+(?:\.\d+)?)x?$/.exec(flags.speed.trim())
      speed = m ? Number(m[1]) : Number.NaN
      if (!(speed > 0)) throw new SluiceError('USAGE', `--speed "${flags.speed}": expected a factor such as 10x (or 0.5x)`)
    }
    if (flags.repartition && flags.into === undefined) throw new SluiceError('USAGE', '--repartition applies only with --into')
    for (const name of ['restart', 'transactional-id'] as const) {
      if (flags[name] !== undefined && flags[name] !== false && flags.into === undefined) throw new SluiceError('USAGE', `--${name} applies only with --into`)
    }
    if (flags['transactional-id'] === '') throw new SluiceError('USAGE', '--transactional-id must not be empty')
    if (this.jsonEnabled() && flags.into === undefined && !flags['dry-run']) {
      throw new SluiceError('USAGE', '--json applies with --into or --dry-run (otherwise stdout carries the records)')
    }
    const { compileFilter } = await import('../client/replay/filter.js')
    const filter = flags.filter === undefined ? undefined : compileFilter(flags.filter)
    const signal = this.interruptSignal()
    const target = await resolveCluster({ bootstrapServer: flags['bootstrap-server'], home: this.home })
    const startedMs = Date.now()
    const { replay } = await import('../client/replay/replay.js')
    let replayId: string | undefined
    if (flags.into !== undefined) {
      const { replayId: idOf } = await import('../client/replay/exactly-once.js')
      replayId =
        flags['transactional-id'] ??
        idOf({
          topic: this.args.topic,
          into: flags.into,
          partitions: flags.partition?.join(','),
          from: flags.from,
          to: flags.to,
          filter: flags.filter,
          repartition: flags.repartition,
          isolation: flags.isolation === 'read_committed' ? undefined : flags.isolation,
        })
    }
    const result = await replay({
      target,
      topic: this.args.topic,
      partitions,
      from,
      to,
      filter,
      into: flags.into,
      repartition: flags.repartition,
      ratePerSec,
      speed,
      progress: !flags['dry-run'],
      dryRun: flags['dry-run'],
      binary: flags.binary,
      isolation: flags.isolation,
      stdout: process.stdout,
      signal,
      replayId,
      restart: flags.restart,
      note: (message) => this.note(message),
    })
    const seconds = ((Date.now() - startedMs) / 1000).toFixed(1)
    if (result.dryRun) {
      for (const p of result.partitions) {
        // The last offset read, not the exclusive end: "2 to 6" cannot be misread as including 7.
        const range = p.to > p.from ? `offsets ${p.from} to ${p.to - 1} (${p.to - p.from} records)` : `no offsets (empty range at ${p.from})`
        this.note(`${result.topic}/${p.partition}: ${range}, ${iso(p.firstTimestamp)} to ${iso(p.lastTimestamp)}, ${p.matched} match`)
      }
      this.note(`dry run: ${result.matched} of ${result.records} record(s) would be replayed${flags.into === undefined ? '' : ` into ${flags.into}`}`)
    } else {
      const where = result.into === undefined ? 'to stdout' : `into ${result.into} (${result.produced} acknowledged${result.repartitioned ? ', partitioned by key' : ', same partitions'})`
      this.note(`replayed ${result.matched} of ${result.records} record(s) read from ${result.topic} ${where} in ${seconds} s`)
    }
    if (flags.filter !== undefined && result.matched === 0) this.note(`--filter matched none of the ${result.records} record(s) read`)
    if (result.stoppedBy === 'interrupt') {
      const same = result.replayId === undefined ? '' : `run the same command again to resume replay ${result.replayId}, or `
      this.note(`interrupted; ${same}resume with --from ${result.resumeFrom}`)
    }
    return result
  }
}
