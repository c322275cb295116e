/**
 * The real Cloud Pub/Sub emulator for tests: one per test file (ava runs each file in its own
 * worker), started by the first test that asks and stopped by the file's
 * `test.after.always(stopPubSubEmulator)` (and, should the worker die first, by the JVM's
 * parent-death signal). Tests keep apart by project: `freshProject()` names a new one, which the
 * emulator creates empty on first use.
 *
 * Without an emulator (`findEmulator` says why) a test logs a skip with that reason, unless
 * REQUIRE_PUBSUB_EMULATOR=1 (CI), where its absence fails it. An emulator that is there but
 * does not start always fails the test.
 */
import { randomBytes } from 'node:crypto';
import { PubSub } from '@google-cloud/pubsub';
import type { ExecutionContext } from 'ava';
import {
  findEmulator,
  type PubSubEmulator,
  startPubSubEmulator,
} from '../../stack/pubsub-emulator.js';

// The client must not look for a metadata server (credentials, project) on its way to the emulator.
process.env.METADATA_SERVER_DETECTION ??= 'none';

export const REQUIRE_PUBSUB_EMULATOR = process.env.REQUIRE_PUBSUB_EMULATOR === '1';

type Shared =
  | { readonly emulator: PubSubEmulator }
  | { readonly missing: string }
  | { readonly failed: string };

let shared: Promise<Shared> | null = null;

function start(): Promise<Shared> {
  shared ??= (async (): Promise<Shared> => {
    const found = findEmulator(process.env);
    if (found.path === null) return { missing: found.reason };
    try {
      return { emulator: await startPubSubEmulator({ bin: found.path, env: process.env }) };
    } catch (e) {
      return { failed: e instanceof Error ? e.message : String(e) };
    }
  })();
  return shared;
}

/** The file's emulator when the test can use it; otherwise the test has passed (skipped) or failed. */
export async function needsPubSubEmulator(t: ExecutionContext): Promise<PubSubEmulator | null> {
  const s = await start();
  if ('emulator' in s) return s.emulator;
  if ('failed' in s) {
    t.fail(`the Pub/Sub emulator did not start: ${s.failed}`);
  } else if (REQUIRE_PUBSUB_EMULATOR) {
    t.fail(`${s.missing} (REQUIRE_PUBSUB_EMULATOR=1, CI)`);
  } else {
    t.log(`SKIPPED: ${s.missing}; CI runs this against the emulator`);
    t.pass();
  }
  return null;
}

/**
 * The emulator binary, for tests that run their own emulator; null when there is none, and then
 * the test has passed (skipped) or, with REQUIRE_PUBSUB_EMULATOR=1, failed.
 */
export function needsEmulatorBinary(t: ExecutionContext): string | null {
  const found = findEmulator(process.env);
  if (found.path !== null) return found.path;
  if (REQUIRE_PUBSUB_EMULATOR) {
    t.fail(`${found.reason} (REQUIRE_PUBSUB_EMULATOR=1, CI)`);
  } else {
    t.log(`SKIPPED: ${found.reason}; CI runs this against the emulator`);
    t.pass();
  }
  return null;
}

export async function stopPubSubEmulator(): Promise<void> {
  const s = await shared;
  shared = null;
  if (s !== null && s !== undefined && 'emulator' in s) await s.emulator.stop();
}

/** A project id no other test uses (the emulator wants 3 characters or more). */
export function freshProject(prefix = 'test'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** The real client, talking to `emulator` in plaintext, for `projectId`. */
export function emulatorClient(emulator: PubSubEmulator, projectId: string): PubSub {
  return new PubSub({ projectId, apiEndpoint: emulator.host, emulatorMode: true });
}
