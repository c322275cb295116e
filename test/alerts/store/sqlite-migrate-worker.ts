/**
 * Worker for the concurrent-migration test: waits until every worker has started, then opens
 * `path` (switching it to WAL) and migrates it, so the workers race on both.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStore } from '../../../alerts/store/sqlite.js';

const { path, barrier, workers } = workerData as {
  path: string;
  barrier: Int32Array;
  workers: number;
};
Atomics.add(barrier, 0, 1);
while (Atomics.load(barrier, 0) < workers) Atomics.wait(barrier, 0, Atomics.load(barrier, 0), 5);
const store = new SqliteStore({ path });
const result = await store.migrate();
await store.close();
parentPort?.postMessage(result);
