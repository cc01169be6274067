/**
 * A minimal Kafka client over one TCP connection, built on sluice's own codec: for tests that
 * need exact requests (error paths, fuzzing, golden checks) rather than a client library's.
 */
import net from 'node:net'
import { FrameDecoder, decodeResponse, encodeRequest } from '../../src/protocol/frame.js'

export class RawClient {
  private correlationId = 0
  private readonly waiting = new Map<number, { apiKey: number; version: number; resolve: (body: any) => void; reject: (e: Error) => void }>()
  private readonly decoder = new FrameDecoder()
  readonly closed: Promise<void>

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      for (const frame of this.decoder.push(chunk)) {
        const correlationId = frame.readInt32BE(0)
        const w = this.waiting.get(correlationId)
        if (!w) continue
        this.waiting.delete(correlationId)
        try {
          w.resolve(decodeResponse(w.apiKey, w.version, frame).body)
        } catch (error) {
          w.reject(error as Error)
        }
      }
    })
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()))
    socket.on('close', () => {
      for (const w of this.waiting.values()) w.reject(new Error('connection closed'))
      this.waiting.clear()
    })
    socket.on('error', () => undefined)
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host, () => resolve(new RawClient(socket)))
      socket.once('error', reject)
    })
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  request(apiKey: number, version: number, body: unknown): Promise<any> {
    const correlationId = ++this.correlationId
    return new Promise((resolve, reject) => {
      this.waiting.set(correlationId, { apiKey, version, resolve, reject })
      for (const chunk of encodeRequest(apiKey, version, correlationId, 'raw-test', body)) this.socket.write(chunk)
    })
  }

  /** Sends a request that expects no response (Produce with acks=0). */
  send(apiKey: number, version: number, body: unknown): void {
    for (const chunk of encodeRequest(apiKey, version, ++this.correlationId, 'raw-test', body)) this.socket.write(chunk)
  }

  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes)
  }

  close(): void {
    this.socket.destroy()
  }
}
