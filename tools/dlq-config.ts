/**
 * `npm run dlq`'s configuration, read from the environment here and nowhere else: the store the
 * functions use (STORE_URL, functions/shared/config.ts) and the Pub/Sub that `npm run
 * pubsub:ensure` uses (PUBSUB_EMULATOR_HOST and the project, tools/pubsub-config.ts), with the
 * same names, formats and defaults.
 */
import { FUNCTIONS_SETTINGS } from '../functions/shared/config.js';
import { detectPlatform, type Platform } from '../lib/config/platform.js';
import { type Env, readSettings } from '../lib/config/read.js';
import { PUBSUB_ENSURE_SETTINGS, type PubSubTarget, pubsubTarget } from './pubsub-config.js';

export const DLQ_SETTINGS = {
  storeUrl: FUNCTIONS_SETTINGS.storeUrl,
  emulatorHost: PUBSUB_ENSURE_SETTINGS.emulatorHost,
  pubsubProjectId: PUBSUB_ENSURE_SETTINGS.pubsubProjectId,
  projectId: PUBSUB_ENSURE_SETTINGS.projectId,
};

export interface DlqConfig {
  readonly storeUrl: string;
  readonly platform: Platform;
  /** Null when the command needs no Pub/Sub (then no project is required). */
  readonly pubsub: PubSubTarget | null;
}

/** Throws ConfigError with every problem; `needsPubSub` requires a project for a real one. */
export function loadDlqConfig(needsPubSub: boolean, env: Env = process.env): DlqConfig {
  const platform = detectPlatform(env);
  const { values, report } = readSettings(DLQ_SETTINGS, env, { platform });
  const pubsub = needsPubSub ? pubsubTarget(values, report) : null;
  report.throwIfAny();
  return { storeUrl: values.storeUrl, platform, pubsub };
}
