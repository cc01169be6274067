/**
 * Issue 12: every value (and key) a Kafka record can hold comes back byte for byte through
 * `sluice consume --binary | sluice produce --envelope`: none (a tombstone), empty, the JSON text
 * null, other JSON, text and bytes. Records are written and read back by kcat, an outside client
 * (`-Z -f '%K %S'` shows the key and value sizes, -1 for none), so sluice's own codec is not
 * the judge. Also `produce --text` and `--key-delimiter` against kcat's `-K`.
 */
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, cleanEnv, HANG_MS, sluice, startDaemon, stopDaemon, type TestDaemon } from '../helpers/index.js'
import { kcatPath } from '../interop/kcat.js'

let d: TestDaemon

beforeAll(async () => {
  d = await startDaemon({ brokers: 3 })
})

afterAll(async () => {
  if (d) await stopDaemon(d)
})

async function createTopic(topic: string): Promise<void> {
  expect((await sluice(['topic', 'create', topic, '--partitions', '1'], { home: d.home, env: d.env })).exitCode).toBe(0)
}

/** kcat with stdin bytes in and stdout bytes out (no newline stripped). */
async function kcatBytes(args: string[], input?: Buffer): Promise<Buffer> {
  const r = await execa(kcatPath ?? 'kcat', ['-b', d.bootstrap, ...args], { input, encoding: 'buffer', stripFinalNewline: false, timeout: HANG_MS })
  return Buffer.from(r.stdout)
}

/** Every record of a one-partition topic as kcat sees it: `keySize valueSize|key|value` (-1: none). */
async function kcatRead(topic: string): Promise<Buffer> {
  return kcatBytes(['-C', '-t', topic, '-p', '0', '-e', '-q', '-Z', '-f', '%K %S|%k|%s\n'])
}

/** Runs a shell pipeline of sluice commands (`S` is sluice); every command must exit 0. */
async function pipeline(script: string, input?: Buffer): Promise<void> {
  const fn = `S() { "${process.execPath}" "${BIN}" "$@"; }`
  const r = await execa('bash', ['-c', `${fn}; ${script}; echo "exits: \${PIPESTATUS[*]}" >&2`], {
    env: cleanEnv(d.env, d.home),
    extendEnv: false,
    reject: false,
    input,
    timeout: HANG_MS,
  })
  expect(String(r.stderr)).toMatch(/exits: 0( 0)*$/)
}

const lines = (...parts: (string | Buffer)[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p)))

describe.skipIf(!kcatPath)('round trip: consume --binary | produce --envelope, checked with kcat', () => {
  it('keeps none, empty, JSON null, JSON, text and bytes apart, for values and keys', async () => {
    await createTopic('rt-src')
    // -Z: an empty key or value is sent as none (null).
    await kcatBytes(['-P', '-t', 'rt-src', '-p', '0', '-K:', '-Z'], lines('tomb:\n', ':null\n', ':\n'))
    await kcatBytes(
      ['-P', '-t', 'rt-src', '-p', '0', '-K:'],
      lines('empty:\n', 'jnull:null\n', 'null:null\n', ':empty-key\n', 'json:{"a": 1,  "b":[1.50]}\n', 'str:"null"\n', 'text:text with  spaces \n', 'bin:', Buffer.from([0xff, 0x00, 0x80]), '\n', Buffer.from([0xfe, 0x6b]), ':bin-key\n'),
    )
    const source = await kcatRead('rt-src')
    // What kcat wrote is what the test means: sizes say none (-1), empty (0) or bytes.
    expect(source).toEqual(
      lines(
        '4 -1|tomb|NULL\n',
        '-1 4|NULL|null\n',
        '-1 -1|NULL|NULL\n',
        '5 0|empty|NULL\n',
        '5 4|jnull|null\n',
        '4 4|null|null\n',
        '0 9|NULL|empty-key\n',
        '4 21|json|{"a": 1,  "b":[1.50]}\n',
        '3 6|str|"null"\n',
        '4 18|text|text with  spaces \n',
        '3 3|bin|', Buffer.from([0xff, 0x00, 0x80]), '\n',
        '2 7|', Buffer.from([0xfe, 0x6b]), '|bin-key\n',
      ),
    )
    // Templates tell none from empty as kcat does: {keySize} and {valueSize} are kcat's %K and %S.
    const sizes = await sluice(['consume', 'rt-src', '--exit', '--format', '{keySize} {valueSize}'], { home: d.home, env: d.env })
    expect(sizes.exitCode).toBe(0)
    expect(sizes.stdout).toBe(String(await kcatBytes(['-C', '-t', 'rt-src', '-p', '0', '-e', '-q', '-f', '%K %S\n'])).trimEnd())
    expect(sizes.stdout.split('\n').slice(0, 4)).toEqual(['4 -1', '-1 4', '-1 -1', '5 0'])

    await createTopic('rt-copy')
    await pipeline('S consume rt-src --exit --binary | S produce rt-copy --envelope')
    expect(await kcatRead('rt-copy')).toEqual(source)
  })
})

describe.skipIf(!kcatPath)('produce --text and --key-delimiter, as kcat -P and -K', () => {
  it('--text takes each line as kcat does: bytes exact (spaces, CR, not UTF-8), empty lines skipped', async () => {
    const input = lines('a b \r\n', '\n', '   \n', '{"not": "checked"\n', 'null\n', Buffer.from([0xff, 0xfe, 0x00]), '\n', 'last line without newline')
    await createTopic('text-kcat')
    await kcatBytes(['-P', '-t', 'text-kcat', '-p', '0'], input)
    await createTopic('text-sluice')
    await pipeline('S produce text-sluice --text', input)
    const expected = await kcatRead('text-kcat')
    expect(expected.toString('latin1').split('\n')[0]).toBe('-1 5|NULL|a b \r')
    expect(await kcatRead('text-sluice')).toEqual(expected)
  })

  it('--key-delimiter splits the key off at the first delimiter, for text and JSON lines', async () => {
    const text = lines('k1:v:1\n', 'no key here\n', ':empty key\n', 'empty value:\n', Buffer.from([0xfe]), ':', Buffer.from([0xff]), '\n')
    await createTopic('kd-kcat')
    await kcatBytes(['-P', '-t', 'kd-kcat', '-p', '0', '-K:'], text)
    await createTopic('kd-sluice')
    await pipeline('S produce kd-sluice --text --key-delimiter :', text)
    const expected = await kcatRead('kd-kcat')
    expect(expected.toString('latin1').split('\n').slice(0, 4)).toEqual(['2 3|k1|v:1', '-1 11|NULL|no key here', '0 9|NULL|empty key', '11 0|empty value|NULL'])
    expect(await kcatRead('kd-sluice')).toEqual(expected)

    // JSON lines: the value after the delimiter must still be JSON, kept byte for byte.
    await createTopic('kd-json')
    await pipeline("S produce kd-json -K '\t' -p 0", lines('cust-1\t{"id": 1}\n', 'null\n', '\tnull\n'))
    expect((await kcatRead('kd-json')).toString()).toBe('6 9|cust-1|{"id": 1}\n-1 4|NULL|null\n0 4|NULL|null\n')
    const bad = await sluice(['produce', 'kd-json', '-K', '\t'], { home: d.home, env: d.env, input: 'k\tnot json\n' })
    expect(bad.exitCode).toBe(6)
    expect(bad.stderr).toMatch(/line 1: not valid JSON/)
    for (const args of [['--text', '--envelope'], ['-K', ':', '--key', '.id'], ['-K', '']]) {
      const usage = await sluice(['produce', 'kd-json', ...args], { home: d.home, env: d.env, input: '' })
      expect([args, usage.exitCode]).toEqual([args, 2])
    }
  })
})
