/**
 * What the capture tools share: API names, client versions, and writing one golden fixture
 * (`<base>.hex`, the frame with its size prefix, and the `<base>.json` sidecar). Plain Node.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

export const API_NAMES = { 0: 'Produce', 1: 'Fetch', 2: 'ListOffsets', 3: 'Metadata', 8: 'OffsetCommit', 9: 'OffsetFetch', 10: 'FindCoordinator', 11: 'JoinGroup', 12: 'Heartbeat', 13: 'LeaveGroup', 14: 'SyncGroup', 15: 'DescribeGroups', 16: 'ListGroups', 17: 'SaslHandshake', 18: 'ApiVersions', 19: 'CreateTopics', 20: 'DeleteTopics', 22: 'InitProducerId', 32: 'DescribeConfigs', 35: 'DescribeLogDirs', 44: 'IncrementalAlterConfigs', 60: 'DescribeCluster' }

export function apiName(apiKey) {
  return API_NAMES[apiKey] ?? `Api${apiKey}`
}

/** A package's version from node_modules (some packages do not export their package.json). */
export function packageVersion(name) {
  const file = path.join(process.cwd(), 'node_modules', name, 'package.json')
  return JSON.parse(fs.readFileSync(file, 'utf8')).version
}

/** `kcat 1.7.1 (librdkafka 2.0.2)`, or null when kcat is not installed. */
export function kcatVersion() {
  return new Promise((resolve) => {
    const p = spawn('kcat', ['-V'])
    let text = ''
    p.stdout.on('data', (d) => (text += d))
    p.on('error', () => resolve(null))
    p.on('close', () => {
      const m = /Version (\S+) .*librdkafka (\S+)/.exec(text)
      resolve(m ? `kcat ${m[1]} (librdkafka ${m[2]})` : 'kcat unknown')
    })
  })
}

/**
 * Writes `<dir>/<base>.hex` and `<dir>/<base>.json`. `frame` includes the 4-byte size prefix.
 * The sidecar starts with the fields every fixture has; `extra` adds the tool's own.
 */
export function writeFixture(dir, base, frame, { client, clientVersion, direction, apiKey, apiVersion, capturedWith, ...extra }) {
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, `${base}.hex`), frame.toString('hex') + '\n')
  const meta = { client, clientVersion, direction, apiKey, apiName: apiName(apiKey), apiVersion, sizePrefixed: true, capturedWith, ...extra }
  fs.writeFileSync(path.join(dir, `${base}.json`), JSON.stringify(meta, null, 2) + '\n')
  console.error(`saved ${base} (${frame.length} bytes)`)
}
