// The embedded queue's group commits, on a thread of their own: a commit waits for fsync, and the
// thread that serves HTTP should go on parsing the next requests meanwhile. The owning LocalBus
// posts { file, groupCommitMs } once, then { seq, queue, body } per publish, in order. This thread
// answers { through, queues } when every publish up to `through` is committed (on disk), or
// { through, error } when they failed; publishes are answered in order.
import { basename, dirname } from 'node:path'
import type { QueueName } from './bus'
import { openSqlite } from '../sqlite'

declare const self: Worker

export interface CommitSetup {
  file: string
  groupCommitMs: number
}
export interface CommitRequest {
  seq: number
  queue: QueueName
  body: Uint8Array
}
export type CommitAnswer = { through: number; queues: QueueName[] } | { through: number; error: string }

/** Most messages committed in one transaction. */
const GROUP_COMMIT_MAX = 1000

let transaction: ((group: CommitRequest[]) => void) | null = null
let groupCommitMs = 0
let lastCommitAt = 0
let scheduled = false
const pending: CommitRequest[] = []

self.onmessage = (e: MessageEvent<CommitSetup | CommitRequest>) => {
  const m = e.data
  if ('file' in m) {
    const db = openSqlite(dirname(m.file), basename(m.file))
    const insert = db.query('INSERT INTO queue_messages (queue, size, body, enqueued_at) VALUES (?1, ?2, ?3, ?4)')
    transaction = db.transaction((group: CommitRequest[]) => {
      const now = Date.now()
      for (const r of group) insert.run(r.queue, r.body.byteLength, r.body, now)
    })
    groupCommitMs = m.groupCommitMs
    return
  }
  pending.push(m)
  if (scheduled) return
  scheduled = true
  // Under load a commit waits out the rest of the window after the previous one, so one fsync
  // serves more publishes; an isolated publish is committed at once.
  const wait = lastCommitAt + groupCommitMs - performance.now()
  if (wait > 0) setTimeout(commit, wait)
  else setImmediate(commit)
}

function commit(): void {
  scheduled = false
  lastCommitAt = performance.now()
  while (pending.length > 0) {
    const group = pending.splice(0, GROUP_COMMIT_MAX)
    const through = group[group.length - 1]!.seq
    let answer: CommitAnswer
    try {
      transaction!(group)
      answer = { through, queues: [...new Set(group.map((r) => r.queue))] }
    } catch (err) {
      answer = { through, error: (err as Error).message }
    }
    self.postMessage(answer)
  }
}
