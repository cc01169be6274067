import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { SluiceError } from '../common/errors.js'
import { validateTopicName } from '../client/topic-model.js'
import { bootstrapFlag, isolationFlag, parsePartitions, partitionsFlag, fromFlag } from '../cli/kafka-flags.js'
import type { ConsumeResult } from '../client/consume/consume.js'
import { resolveCluster } from '../client/kafka.js'
import { validateFormat } from '../client/consume/format.js'
import { parseDurationMs, parseOffsetSpec } from '../client/offsets.js'

export default class Consume extends BaseCommand<typeof Consume> {
  static override summary = 'Write the records of a topic to stdout, one JSON line each.'
  static override description = `Reads the partitions directly (without --group) from --from (default: earliest) and follows new records until Ctrl-C, or stops at --to, at the end seen at start (--exit), or after --max records.
Each line is the envelope {"topic","partition","offset","timestamp","key","value","headers"}: a value that is JSON is embedded byte for byte; other values are strings marked "valueEncoding":"string" (or "base64" with --binary). "sluice produce TOPIC --envelope" takes these lines back unchanged.
Offsets (--from, --to): earliest, latest, N, -N (N before the end), +N (N after the start), @<ISO-8601 time with a zone>, @<epoch ms>, @-<duration> (@-15m, @-2h, @-1d), or per partition: 0:120,1:98 (an entry without "P:" is the default for the other partitions). --to is exclusive.
Records of one partition come in offset order; partitions are interleaved.
Transactions: only committed records are read (--isolation read_committed, the default): records of aborted transactions never appear, reading stops at the last stable offset (before the oldest open transaction; --exit ends there), and the COMMIT/ABORT markers are not records. --isolation read_uncommitted reads everything, as kcat does. --show-control adds each marker as a line of its own: {"topic","partition","offset","control":"commit" or "abort","producerId","producerEpoch","timestamp"} (no key or value; "sluice produce --envelope" refuses such a line).
With --group G it joins the consumer group G (Kafka's group protocol: several processes split the partitions and rebalance as they come and go), starts each partition at the group's committed offset (--from applies only where the group has none), and commits, every second, at each rebalance and at the end, only offsets whose records were written to stdout (at least once: after a crash or a rebalance some records may come again, none are skipped). --exit then stops at the end offsets seen when the partitions were assigned.
Exit codes: 0 done (also when stdout closes, as with | head), 130 after Ctrl-C, 2 bad flags, 3 cluster unreachable, 4 unknown topic or partition, or --from outside the data (e.g. deleted by retention), 7 other Kafka errors.`
  static override examples = [
    '<%= config.bin %> consume orders --exit',
    '<%= config.bin %> consume orders --from -10 --exit',
    '<%= config.bin %> consume orders --from @-15m',
    '<%= config.bin %> consume orders --from @2026-11-20T10:00:00Z --to @2026-11-20T11:00:00Z',
    '<%= config.bin %> consume orders --partition 0 --from 120 --max 5',
    '<%= config.bin %> consume orders --from 0:120,1:98 --exit',
    "<%= config.bin %> consume orders --format '{partition}:{offset} {key} {value}'",
    '<%= config.bin %> consume orders --format value --exit | jq .amount',
    '<%= config.bin %> consume orders --exit --binary | <%= config.bin %> produce orders-copy --envelope',
    '<%= config.bin %> consume orders --isolation read_uncommitted --exit',
    '<%= config.bin %> consume orders --show-control --exit | jq -c \'select(.control)\'',
    '<%= config.bin %> consume orders --group billing',
    '<%= config.bin %> consume orders --group billing --from latest --session-timeout 30s',
  ]
  // The records are the output (already JSON lines): there is no other JSON form.
  static override enableJsonFlag = false
  static override args = {
    topic: Args.string({ description: 'topic to read', required: true }),
  }
  static override flags = {
    'bootstrap-server': bootstrapFlag,
    from: fromFlag('earliest'),
    to: Flags.string({
      description: 'where to stop (exclusive), same grammar as --from; without it (and without --exit) consume follows',
      helpValue: 'offset',
    }),
    partition: partitionsFlag,
    max: Flags.integer({ char: 'n', description: 'stop after this many records in all', min: 1, helpValue: 'N' }),
    exit: Flags.boolean({ char: 'e', description: 'stop at the end offsets seen at start instead of following', default: false }),
    format: Flags.string({
      char: 'f',
      description:
        'json (the envelope), value, key, raw (value bytes, nothing between records), or a template: {topic} {partition} {offset} {timestamp} {time} {key} {value} {headers} {headers.NAME}',
      default: 'json',
      helpValue: 'format',
    }),
    binary: Flags.boolean({ description: 'base64-encode keys, values and header values that are not UTF-8', default: false }),
    isolation: isolationFlag,
    'show-control': Flags.boolean({
      description: 'also write the transaction markers as lines of their own, with "control":"commit" or "abort" and the producer (--format json only)',
      default: false,
    }),
    group: Flags.string({
      char: 'g',
      description:
        'join this consumer group: read the partitions it assigns, start at its committed offsets (--from applies where it has none), commit what was written to stdout',
      helpValue: 'group',
    }),
    'session-timeout': Flags.string({
      description: 'with --group: how long the group waits for this member\'s heartbeat before moving its partitions (10s, 45s)',
      default: '10s',
      helpValue: 'duration',
    }),
    'metadata-max-age': Flags.string({
      description: "with --group: how often the group's leader checks whether the topic gained partitions, and rebalances onto them (Kafka's metadata.max.age.ms)",
      default: '5m',
      helpValue: 'duration',
    }),
  }

  public async run(): Promise<ConsumeResult> {
    const { flags } = this
    // A name Kafka would refuse is a usage error here, not the client library's raw error.
    validateTopicName(this.args.topic)
    const from = parseOffsetSpec(flags.from, '--from')
    const to = flags.to === undefined ? undefined : parseOffsetSpec(flags.to, '--to')
    const partitions = parsePartitions(flags.partition)
    if (flags.binary && flags.format === 'raw') {
      throw new SluiceError('USAGE', '--binary does not apply to --format raw, which writes the bytes as stored')
    }
    validateFormat(flags.format)
    if (flags['show-control'] && flags.format !== 'json') throw new SluiceError('USAGE', '--show-control applies to --format json only (a marker has no key or value to show)')
    const sessionTimeoutMs = parseDurationMs(flags['session-timeout'])
    if (sessionTimeoutMs === undefined || sessionTimeoutMs < 100) {
      throw new SluiceError('USAGE', `--session-timeout "${flags['session-timeout']}": a duration such as 10s or 45s`)
    }
    const metadataMaxAgeMs = parseDurationMs(flags['metadata-max-age'])
    if (metadataMaxAgeMs === undefined || metadataMaxAgeMs < 100) {
      throw new SluiceError('USAGE', `--metadata-max-age "${flags['metadata-max-age']}": a duration such as 30s or 5m`)
    }
    if (flags.group !== undefined && (flags.to !== undefined || flags.partition !== undefined)) {
      throw new SluiceError('USAGE', `--${flags.to === undefined ? 'partition' : 'to'} does not apply with --group (the group assigns the partitions and where they start)`)
    }
    const signal = this.interruptSignal()
    const target = await resolveCluster({ bootstrapServer: flags['bootstrap-server'], home: this.home })
    const startedMs = Date.now()
    // Loaded here, and the group path only with --group: it runs on @platformatic/kafka, whose
    // import costs ~0.5 s of CPU that a plain consume (sluice's own client) need not pay.
    const { consumeTopic } = await import('../client/consume/consume.js')
    const group = flags.group
    const run =
      group === undefined
        ? consumeTopic
        : async (o: Parameters<typeof consumeTopic>[0]) => (await import('../client/consume/group-consume.js')).consumeGroup({ ...o, group, sessionTimeoutMs, metadataMaxAgeMs })
    const result = await run({
      target,
      topic: this.args.topic,
      partitions,
      from,
      to,
      exit: flags.exit,
      max: flags.max,
      format: flags.format,
      binary: flags.binary,
      isolation: flags.isolation,
      showControl: flags['show-control'],
      stdout: process.stdout,
      signal,
    })
    if (result.lossy) {
      this.note('some keys, values or headers are not UTF-8 and were shown with U+FFFD replacements: use --binary to get their bytes as base64')
    }
    if (process.stderr.isTTY) {
      const seconds = (Date.now() - startedMs) / 1000
      this.note(`${result.records} record(s) from ${result.topic} in ${seconds.toFixed(1)} s`)
    }
    return result
  }
}
