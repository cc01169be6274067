import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { ExitCode, SluiceError } from '../common/errors.js'
import { validateTopicName } from '../client/topic-model.js'
import { bootstrapFlag, isolationFlag, parsePartitions, partitionsFlag, fromFlag } from '../cli/kafka-flags.js'
import { resolveCluster } from '../client/kafka.js'
import { parseDurationMs, parseOffsetSpec } from '../client/offsets.js'
import { renderLiveInCi } from '../tui/shared/interactive.js'

export default class Tail extends BaseCommand<typeof Tail> {
  static override summary = 'Watch the records of a topic arrive, live, in the terminal.'
  static override description = `On a terminal: a live view, newest record at the bottom, with columns partition, offset, time, key and value (cut to the width), and a header with records/s overall and per partition, records seen, following or paused, and the active filter. It samples: the screen is redrawn a few times a second from the last records read, whatever the rate.
Keys: space pauses and follows again (the header keeps counting; the list freezes); up/down select a record (the list freezes too); enter shows the selected record whole (topic, partition, offset, timestamp and time, key, value pretty-printed when it is JSON, headers), escape/enter/q close it; / opens a filter prompt (the --filter language; enter applies, escape cancels, an empty expression clears it; an expression that does not parse shows its error and keeps the filter); q quits (exit 0); Ctrl-C quits with exit 130.
Starts at --from (default: latest, so only records produced from now on), with the offsets grammar of consume. Only committed records are shown (--isolation read_committed, the default; a transaction's records appear when it commits); --isolation read_uncommitted shows everything as it is written. --filter: the expression language of "sluice replay --filter" (value.status == "failed", key startsWith "eu-", headers.source == "web").
When stdout or stdin is not a terminal, tail is "sluice consume TOPIC --from latest": it follows and writes envelope JSON lines, keeping only what --filter accepts.
Exit codes: 0 quit with q (or stdout closed), 130 after Ctrl-C, 2 bad flags or filter, 3 cluster unreachable, 4 unknown topic or partition, or --from outside the data, 7 other Kafka errors.`
  static override examples = [
    '<%= config.bin %> tail orders',
    '<%= config.bin %> tail orders --from -100',
    '<%= config.bin %> tail orders --from @-5m --filter \'value.status == "failed"\'',
    '<%= config.bin %> tail orders --partition 0,2 --from 0:120,2:98',
    '<%= config.bin %> tail orders --group dashboards',
    '<%= config.bin %> tail orders --filter \'key startsWith "eu-"\' | jq .value',
  ]
  // Records (or the view) are the output: there is no other JSON form.
  static override enableJsonFlag = false
  static override args = {
    topic: Args.string({ description: 'topic to watch', required: true }),
  }
  static override flags = {
    'bootstrap-server': bootstrapFlag,
    from: fromFlag('latest'),
    partition: partitionsFlag,
    filter: Flags.string({ description: 'show only the records this expression accepts (the language of replay --filter)', helpValue: 'expr' }),
    group: Flags.string({
      char: 'g',
      description: 'join this consumer group (partitions and start offsets from the group; commits what was read)',
      helpValue: 'group',
    }),
    'session-timeout': Flags.string({
      description: "with --group: how long the group waits for this member's heartbeat before moving its partitions",
      default: '10s',
      helpValue: 'duration',
    }),
    binary: Flags.boolean({ description: 'show keys, values and header values that are not UTF-8 as base64', default: false }),
    isolation: isolationFlag,
  }

  public async run(): Promise<void> {
    const { flags } = this
    // A name Kafka would refuse is a usage error here, not the client library's raw error.
    validateTopicName(this.args.topic)
    const from = parseOffsetSpec(flags.from, '--from')
    const partitions = parsePartitions(flags.partition)
    const sessionTimeoutMs = parseDurationMs(flags['session-timeout'])
    if (sessionTimeoutMs === undefined || sessionTimeoutMs < 100) {
      throw new SluiceError('USAGE', `--session-timeout "${flags['session-timeout']}": a duration such as 10s or 45s`)
    }
    if (flags.group !== undefined && flags.partition !== undefined) {
      throw new SluiceError('USAGE', '--partition does not apply with --group (the group assigns the partitions and where they start)')
    }
    // Compiled before anything starts: a bad expression is a usage error (exit 2).
    const { compileFilter } = await import('../client/replay/filter.js')
    const filter = flags.filter === undefined ? undefined : compileFilter(flags.filter)
    const signal = this.interruptSignal()
    const target = await resolveCluster({ bootstrapServer: flags['bootstrap-server'], home: this.home })
    const topic = this.args.topic
    const group = flags.group === undefined ? undefined : { name: flags.group, sessionTimeoutMs }
    const isolation = flags.isolation

    if (process.stdout.isTTY && process.stdin.isTTY) {
      // Loaded here: ink, react and the Kafka client cost start-up that usage errors need not pay.
      renderLiveInCi()
      const { runTailView } = await import('../tui/tail/run.js')
      const code = await runTailView({
        target,
        topic,
        partitions,
        from,
        group,
        isolation,
        signal,
        binary: flags.binary,
        filter: filter === undefined ? undefined : { expr: flags.filter!, test: filter },
        // In the prompt, the message without the flag's name.
        compile: (expr) => {
          try {
            return compileFilter(expr)
          } catch (err) {
            if (err instanceof SluiceError) throw new SluiceError(err.code, err.message.replace(/^--filter /, 'filter '))
            throw err
          }
        },
      })
      // Ctrl-C read as a key in raw mode (no SIGINT): the same exit code as an interrupt.
      if (code === ExitCode.INTERRUPTED) process.exitCode = ExitCode.INTERRUPTED
      return
    }

    // Not a terminal: `consume TOPIC --from latest`, with --filter applied.
    const { consumeTopic } = await import('../client/consume/consume.js')
    const { consumeGroup } = await import('../client/consume/group-consume.js')
    const { filterPredicate } = await import('../client/consume/record-pipeline.js')
    const opts = {
      target,
      topic,
      partitions,
      from,
      exit: false,
      isolation,
      format: 'json',
      binary: flags.binary,
      stdout: process.stdout,
      signal,
      filter: filter === undefined ? undefined : filterPredicate(topic, filter),
    }
    const result = group === undefined ? await consumeTopic(opts) : await consumeGroup({ ...opts, group: group.name, sessionTimeoutMs: group.sessionTimeoutMs })
    if (filter !== undefined && result.records === 0) this.note(`--filter matched none of the ${result.read} record(s) read`)
    if (result.lossy) {
      this.note('some keys, values or headers are not UTF-8 and were shown with U+FFFD replacements: use --binary to get their bytes as base64')
    }
  }
}
