import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../../cli/base-command.js'
import { SluiceError } from '../../common/errors.js'
import { validateTopicName } from '../../client/topic-model.js'
import { bootstrapFlag, parsePartitions, partitionsFlag } from '../../cli/kafka-flags.js'
import { formatDurationMs, formatTable } from '../../cli/table.js'
import { withGroupAdmin, type ResetPlan, type ResetTarget } from '../../client/group-admin.js'
import { resolveCluster } from '../../client/kafka.js'
import { parseDurationMs, parseTimeMs } from '../../client/offsets.js'

export default class GroupReset extends BaseCommand<typeof GroupReset> {
  static override summary = "Move a consumer group's committed offsets on a topic (a dry run unless --execute)."
  static override description = `Give exactly one of --to-earliest, --to-latest, --to-offset N, --to-datetime T (ISO-8601 with a zone, a date, or epoch ms), --by-duration D (the first record D before now: 15m, 2h, 1d) or --shift-by N (N may be negative). New offsets are clamped to the partition's log start and end.
Without --execute it prints the plan and changes nothing: per partition the current offset, the new offset, the records that will be read again (+) or skipped (-), and the time between the two positions.
With --execute it commits the new offsets (OffsetCommit with generation -1 and no member id, as Kafka's tools do). It refuses while the group has active members, whose own commits would overwrite the reset: stop them first.
Exit codes: 2 bad flags, 4 unknown topic/partition (or, for --shift-by, a partition without a committed offset), 5 the group has active members, 3 cluster unreachable.`
  static override examples = [
    '<%= config.bin %> group reset billing --topic orders --to-datetime 2026-11-20T09:55:00Z',
    '<%= config.bin %> group reset billing --topic orders --by-duration 1h --execute',
    '<%= config.bin %> group reset billing --topic orders --shift-by -100 --partition 2 --execute',
    '<%= config.bin %> group reset billing --topic orders --to-latest --execute --json',
  ]
  static override args = { group: Args.string({ description: 'group id', required: true }) }
  static override flags = {
    'bootstrap-server': bootstrapFlag,
    topic: Flags.string({ char: 't', description: 'the topic whose offsets move', required: true, helpValue: 'topic' }),
    partition: partitionsFlag,
    'to-earliest': Flags.boolean({ description: 'to the log start offset', default: false }),
    'to-latest': Flags.boolean({ description: 'to the end (skip everything not yet consumed)', default: false }),
    'to-offset': Flags.integer({ description: 'to offset N', min: 0, helpValue: 'N' }),
    'to-datetime': Flags.string({ description: 'to the first record at or after this time', helpValue: 'time' }),
    'by-duration': Flags.string({ description: 'to the first record this long before now (15m, 2h, 1d)', helpValue: 'duration' }),
    'shift-by': Flags.integer({ description: 'move the committed offset by N (negative: back)', helpValue: 'N' }),
    execute: Flags.boolean({ description: 'commit the plan (without it nothing changes)', default: false }),
  }

  private target(): ResetTarget {
    const f = this.flags
    const modes: ResetTarget[] = []
    if (f['to-earliest']) modes.push({ kind: 'position', position: { kind: 'earliest' } })
    if (f['to-latest']) modes.push({ kind: 'position', position: { kind: 'latest' } })
    if (f['to-offset'] !== undefined) modes.push({ kind: 'position', position: { kind: 'absolute', offset: f['to-offset'] } })
    if (f['to-datetime'] !== undefined) {
      modes.push({ kind: 'position', position: { kind: 'timestamp', timestampMs: parseTimeMs(f['to-datetime'].replace(/^@/, ''), '--to-datetime') } })
    }
    if (f['by-duration'] !== undefined) {
      const durationMs = parseDurationMs(f['by-duration'].replace(/^-/, ''))
      if (durationMs === undefined) throw new SluiceError('USAGE', `--by-duration "${f['by-duration']}": a duration is digits and a unit (ms, s, m, h, d, w), e.g. 15m or 1h30m`)
      modes.push({ kind: 'position', position: { kind: 'ago', durationMs } })
    }
    if (f['shift-by'] !== undefined) modes.push({ kind: 'shift', by: f['shift-by'] })
    if (modes.length !== 1) {
      throw new SluiceError('USAGE', `give exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --by-duration, --shift-by (got ${modes.length})`)
    }
    return modes[0]!
  }

  public async run(): Promise<ResetPlan> {
    validateTopicName(this.flags.topic)
    const mode = this.target()
    const partitions = parsePartitions(this.flags.partition)
    const target = await resolveCluster({ bootstrapServer: this.flags['bootstrap-server'], home: this.home })
    const plan = await withGroupAdmin(target, async (a) => {
      const p = await a.plan(this.args.group, this.flags.topic, mode, partitions)
      return this.flags.execute ? a.execute(p) : p
    })
    if (!this.jsonEnabled()) {
      this.log(
        formatTable(
          ['partition', 'current', 'new', 'records', 'span'],
          plan.partitions.map((p) => [
            p.partition,
            p.currentOffset ?? '-',
            p.newOffset,
            p.delta > 0 ? `+${p.delta} re-read` : p.delta < 0 ? `${p.delta} skipped` : '0',
            p.spanMs === null ? '-' : formatDurationMs(p.spanMs),
          ]),
        ),
      )
      if (plan.executed) this.note(`committed the new offsets of group ${plan.group} on ${plan.topic}`)
      else this.note('dry run: nothing changed; add --execute to commit these offsets')
    }
    return plan
  }
}
