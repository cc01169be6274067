import { ClassicLevel } from 'classic-level'
import fs from 'node:fs'
const db = new ClassicLevel('/tmp/dftest/db', { keyEncoding: 'buffer', valueEncoding: 'buffer' })
try { await db.open(); console.log('opened (full disk)') } catch (e) { console.log('open fail', e.code, e.message, e.cause?.message) }
await db.close().catch(()=>{})
