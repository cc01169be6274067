import fs from 'node:fs'
import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { SluiceError, usageError } from '../common/errors.js'
import { bootstrapFlag } from '../cli/kafka-flags.js'
import { resolveCluster } from '../client/kafka.js'
import type { Mode } from '../client/produce/batch-builder.js'
import { parseKeyPath } from '../client/produce/key-path.js'
import type { Acks, Compression } from '../client/produce/run.js'
import { formatCount, formatSummary, type ProduceSummary } from '../client/produce/summary.js'

export default class Produce extends BaseCommand<typeof Produce> {
  static override summary = 'Produce JSON lines from stdin (or a file) to a topic, one record per line.'
  static override description = `Each line's bytes, exactly as read, are a record's value: a line must be one JSON text (validated, never re-serialized). Blank lines are ignored and CRLF line ends are accepted.
Keyed records go to the partition Kafka's default partitioner (murmur2) picks, as with the Java client; unkeyed records are spread over the partitions, one batch at a time.
A line that is not valid JSON stops the run (exit 6) after every record before it is acknowledged, and nothing after it is sent; --on-invalid skip skips such lines instead. A record larger than the topic's max.message.bytes is refused the same way (code RECORD_TOO_LARGE).
The local daemon creates a missing topic on first use (3 partitions); a cluster that does not (auto.create.topics.enable=false) makes produce exit 4.
At the end a summary goes to stderr (--json: to stdout). Ctrl-C stops reading, sends what was read, waits for the acknowledgements and exits 130 with the summary.
--transactional-id ID writes the input as one Kafka transaction (acks=all, idempotent), committed at the end of the input, or one transaction per --transaction-records N records: read_committed consumers see a transaction's records all at once, or never. A bad line, Ctrl-C or a failed send aborts the open transaction instead of sending what was read (the transactions committed before stay); the summary counts the transactions committed and the aborted one. Another producer that starts with the same id fences this one (the run fails, naming the id). A transaction open longer than --transaction-timeout-ms is aborted by the cluster: with a slow input, commit every N records.`
  static override examples = [
    '<%= config.bin %> produce orders < orders.jsonl',
    "cat orders.jsonl | <%= config.bin %> produce orders --key .customer.id",
    '<%= config.bin %> produce orders --file orders.jsonl --header source=import --header run=7',
    '<%= config.bin %> consume orders --exit | <%= config.bin %> produce orders-copy --envelope',
    '<%= config.bin %> produce orders --file dirty.jsonl --on-invalid skip --dead-letter rejected.jsonl',
    '<%= config.bin %> produce orders --partition 0 --acks 1 --compression lz4 --json < orders.jsonl',
    '<%= config.bin %> produce payments --transactional-id payments-import --file payments.jsonl',
    '<%= config.bin %> produce payments --transactional-id payments-import --transaction-records 1000 --file payments.jsonl',
  ]
  static override args = {
    topic: Args.string({ description: 'topic to produce to', required: true }),
  }
  static override flags = {
    'bootstrap-server': bootstrapFlag,
    file: Flags.string({ char: 'f', description: 'read lines from this file instead of stdin ("-" is stdin)', helpValue: 'FILE' }),
    key: Flags.string({
      char: 'k',
      description: 'take each record\'s key from its value by a jq-like path (.id, .customer.id, .items[0].sku, ."odd-name"); missing or null: no key',
      helpValue: 'PATH',
      exclusive: ['envelope'],
    }),
    envelope: Flags.boolean({
      description: 'lines are consume envelopes ({"key","value","headers","partition","timestamp"}), as `sluice consume` writes them',
      default: false,
    }),
    text: Flags.boolean({
      description: "each line's bytes, exactly as read, are the value, whatever they are (not checked as JSON), as kcat -P does",
      default: false,
    }),
    'key-delimiter': Flags.string({
      char: 'K',
      description: 'split each line at the first D: the bytes before it are the key, those after it the value (kcat -K); a line without D has no key',
      helpValue: 'D',
    }),
    header: Flags.string({ char: 'H', description: 'add a header to every record (repeatable)', helpValue: 'NAME=VALUE', multiple: true, multipleNonGreedy: true }),
    partition: Flags.integer({ char: 'p', description: 'send every record to this partition', min: 0 }),
    acks: Flags.string({ description: 'acknowledgement the cluster gives before a send counts as done', options: ['all', '1', '0'], default: 'all' }),
    compression: Flags.string({ description: 'compression of the record batches', options: ['none', 'gzip', 'snappy', 'lz4'], default: 'none' }),
    'on-invalid': Flags.string({ description: 'what a line that is not valid JSON (or too large) does: stop the run, or be skipped and reported', options: ['fail', 'skip'], default: 'fail' }),
    'dead-letter': Flags.string({ description: 'with --on-invalid skip: append the skipped lines, as read, to this file instead of reporting each on stderr', helpValue: 'FILE' }),
    'transactional-id': Flags.string({
      description: 'write the input as a Kafka transaction under this id, committed at the end (implies acks=all and idempotence)',
      helpValue: 'ID',
    }),
    'transaction-records': Flags.integer({
      description: 'with --transactional-id: commit every N records, each N its own transaction',
      helpValue: 'N',
      min: 1,
      dependsOn: ['transactional-id'],
    }),
    'transaction-timeout-ms': Flags.integer({
      description: 'with --transactional-id: the cluster aborts a transaction open longer than this (transaction.timeout.ms)',
      helpValue: 'MS',
      min: 1,
      default: 60000,
    }),
    progress: Flags.boolean({
      description: 'show a live count and rate on stderr [default: on when stderr is a terminal and the run lasts over a second]',
      allowNo: true,
    }),
  }

  public async run(): Promise<ProduceSummary> {
    const { flags } = this
    const headers = (flags.header ?? []).map(parseHeader)
    const keyDelimiter = flags['key-delimiter'] === undefined ? undefined : Buffer.from(flags['key-delimiter'])
    if (keyDelimiter?.length === 0) throw usageError('--key-delimiter must not be empty')
    const lineFlag = flags.text ? '--text' : keyDelimiter !== undefined ? '--key-delimiter' : undefined
    if (lineFlag !== undefined && (flags.envelope || flags.key !== undefined)) throw usageError(`${lineFlag} cannot go with ${flags.envelope ? '--envelope' : '--key'}`)
    const mode: Mode = flags.envelope
      ? { kind: 'envelope' }
      : flags.key !== undefined
        ? { kind: 'key', path: parseKeyPath(flags.key) }
        : { kind: flags.text ? 'text' : 'plain', keyDelimiter }
    const onInvalid = flags['on-invalid'] as 'fail' | 'skip'
    if (flags['dead-letter'] !== undefined && onInvalid !== 'skip') throw usageError('--dead-letter needs --on-invalid skip')
    const transactionalId = flags['transactional-id']
    if (transactionalId !== undefined) {
      if (transactionalId === '') throw usageError('--transactional-id must not be empty')
      // Kafka refuses a transactional producer without idempotence, hence without acks=all.
      if (flags.acks !== 'all') throw usageError(`--transactional-id writes with acks=all: it cannot go with --acks ${flags.acks}`)
    }

    // The Kafka client takes half a second to load: only once the flags are known to be good.
    const { openInput, produce } = await import('../client/produce/run.js')
    const input = await openInput(flags.file)
    const deadLetterFd = flags['dead-letter'] === undefined ? undefined : openDeadLetter(flags['dead-letter'])
    try {
      const target = await resolveCluster({ bootstrapServer: flags['bootstrap-server'], home: this.home })
      if (input === process.stdin && process.stdin.isTTY) this.note('reading JSON lines from the terminal: one record per line, Ctrl-D to end')
      const summary = await produce({
        target,
        topic: this.args.topic,
        input,
        mode,
        headers,
        partition: flags.partition,
        acks: flags.acks as Acks,
        compression: flags.compression as Compression,
        onInvalid,
        deadLetterFd,
        progress: flags.progress === undefined ? 'auto' : flags.progress ? 'on' : 'off',
        signal: this.interruptSignal(),
        note: (message) => this.note(message),
        transaction:
          transactionalId === undefined ? undefined : { transactionalId, records: flags['transaction-records'], timeoutMs: flags['transaction-timeout-ms'] },
      })
      const t = summary.transactions
      if (summary.interrupted && t !== undefined) {
        const aborted = t.aborted ? `the open transaction was aborted (${formatCount(t.abortedRecords)} records, never visible to read_committed consumers)` : 'no transaction was open'
        this.note(`interrupted after line ${formatCount(summary.lastLine)}: ${aborted}; ${formatCount(t.committedRecords)} records committed before`)
      } else if (summary.interrupted) {
        this.note(`interrupted after line ${formatCount(summary.lastLine)}: ${formatCount(summary.records)} records acknowledged; nothing after that line was sent`)
      }
      if (!this.jsonEnabled()) this.note(formatSummary(summary))
      return summary
    } finally {
      if (deadLetterFd !== undefined) fs.closeSync(deadLetterFd)
      if (input !== process.stdin) input.destroy()
    }
  }
}

function parseHeader(text: string): [string, string] {
  const eq = text.indexOf('=')
  if (eq <= 0) throw usageError(`bad --header "${text}": expected NAME=VALUE`)
  return [text.slice(0, eq), text.slice(eq + 1)]
}

function openDeadLetter(file: string): number {
  try {
    return fs.openSync(file, 'a')
  } catch (err) {
    throw new SluiceError('USAGE', `--dead-letter ${file}: cannot open it for writing (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err })
  }
}
