/**
 * What the tests of ensurePubSub and of deploy:apply's Pub/Sub part share: each test gets a
 * fresh project on the file's emulator (pubsub-emulator.ts; the file still stops it with
 * `test.after.always(stopPubSubEmulator)`) and the real client on it, closed afterwards; and the
 * push endpoint those tests give alert-ingest-push, which nothing listens on.
 */
import type { PubSub } from '@google-cloud/pubsub';
import type { ExecutionContext } from 'ava';
import { emulatorClient, freshProject, needsPubSubEmulator } from './pubsub-emulator.js';

/** alertIngest's push endpoint for ensurePubSub: port 9 on loopback, where nothing listens. */
export const UNREACHABLE_INGEST = { alertIngest: { url: 'http://127.0.0.1:9/alert-ingest' } };

/** Runs a test's body with a client on a new project; see `emulatorProjects`. */
export type WithProject = (
  t: ExecutionContext,
  fn: (client: PubSub, projectId: string) => Promise<void>,
) => Promise<void>;

/**
 * A file's `withProject`: each call runs `fn` with a client on a new project named
 * `<prefix>-<random>`; without an emulator the test has been skipped or failed
 * (needsPubSubEmulator) and `fn` does not run.
 */
export function emulatorProjects(prefix: string): WithProject {
  return async (t, fn) => {
    const emulator = await needsPubSubEmulator(t);
    if (emulator === null) return;
    const projectId = freshProject(prefix);
    const client = emulatorClient(emulator, projectId);
    try {
      await fn(client, projectId);
    } finally {
      await client.close();
    }
  };
}
