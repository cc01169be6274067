import { MemoryDisk, MemoryLogStore } from '../../src/storage/memory.js'
import { runCompactionConformance } from './compaction-conformance.js'
import { runLogStoreConformance } from './conformance.js'

runLogStoreConformance('memory', async () => {
  const disk = new MemoryDisk()
  return {
    open: async () => {
      const store = new MemoryLogStore(disk)
      await store.open()
      return store
    },
    cleanup: async () => {},
  }
})
runCompactionConformance('memory', async () => {
  const disk = new MemoryDisk()
  return {
    open: async () => {
      const store = new MemoryLogStore(disk)
      await store.open()
      return store
    },
    cleanup: async () => {},
  }
})
