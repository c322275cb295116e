/**
 * `npm run pubsub:ensure`'s configuration, read from the environment here and nowhere else, with
 * the same kit as the deployables (lib/config/). The same variables work against the emulator
 * (PUBSUB_EMULATOR_HOST set) and a real project; only a real project insists on an https push
 * endpoint, since Pub/Sub pushes nowhere else.
 */
import { DEFAULT_ENSURE_TIMEOUT_MS, type PushEndpoint } from '../alerts/pubsub/ensure.js';
import { TOPOLOGY } from '../alerts/pubsub/topology.js';
import { defineFormat, Expected, integer, text } from '../lib/config/formats.js';
import { detectPlatform } from '../lib/config/platform.js';
import type { ConfigReport } from '../lib/config/problems.js';
import { type Env, readSettings } from '../lib/config/read.js';
import { setting } from '../lib/config/settings.js';

/** The project the local stack uses for the emulator, when none is named. */
export const DEFAULT_EMULATOR_PROJECT = 'runwatch-local';

const HOST_PORT = /^[^\s/:]+:\d{1,5}$/;
const EMAIL = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;

const emulatorHost = defineFormat<string>({
  name: 'pubsub-emulator-host',
  coerce: (t) => t.trim(),
  validate: (value) => {
    if (typeof value !== 'string' || !HOST_PORT.test(value)) throw new Expected('host:port');
  },
});

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    return /^https?:$/.test(new URL(value).protocol);
  } catch {
    return false;
  }
}

const pushUrl = defineFormat<string>({
  name: 'pubsub-push-url',
  coerce: (t) => t.trim(),
  validate: (value) => {
    if (!isHttpUrl(value)) throw new Expected('an http(s) URL');
  },
});

const serviceAccount = defineFormat<string>({
  name: 'pubsub-service-account',
  coerce: (t) => t.trim(),
  validate: (value) => {
    if (typeof value !== 'string' || !EMAIL.test(value)) {
      throw new Expected('a service-account email');
    }
  },
});

/** The topology's name for alertIngest's push endpoint, whose URL INGEST_PUSH_ENDPOINT gives. */
export const INGEST_ENDPOINT = TOPOLOGY.subscriptions.ingestPush.push?.endpoint ?? 'alertIngest';

export const PUBSUB_ENSURE_SETTINGS = {
  emulatorHost: setting({
    env: 'PUBSUB_EMULATOR_HOST',
    doc: 'host:port of a Pub/Sub emulator to ensure the topology on, in plaintext; unset: Google, with the application default credentials.',
    format: emulatorHost,
    default: null,
  }),
  pubsubProjectId: setting({
    env: 'PUBSUB_PROJECT_ID',
    doc: 'The project the topics and subscriptions belong to (what `gcloud beta emulators pubsub env-init` sets); wins over GOOGLE_CLOUD_PROJECT.',
    format: text,
    default: null,
  }),
  projectId: setting({
    env: 'GOOGLE_CLOUD_PROJECT',
    doc: `The project, when PUBSUB_PROJECT_ID is unset. With neither, the emulator's project is ${DEFAULT_EMULATOR_PROJECT} and a real project is refused.`,
    format: text,
    default: null,
  }),
  ingestPushEndpoint: setting({
    env: 'INGEST_PUSH_ENDPOINT',
    doc: "Where alert-ingest's push subscription delivers: the Eventarc relay locally, alertIngest's URL deployed (https on a real project). Required.",
    format: pushUrl,
    default: null,
  }),
  ingestPushServiceAccount: setting({
    env: 'INGEST_PUSH_SERVICE_ACCOUNT',
    doc: 'Push with an OIDC ID token of this service account (for an endpoint behind Cloud Run IAM); the emulator sends none.',
    format: serviceAccount,
    default: null,
  }),
  ingestPushAudience: setting({
    env: 'INGEST_PUSH_AUDIENCE',
    doc: "The ID token's audience; unset: Pub/Sub uses the endpoint URL. Only with INGEST_PUSH_SERVICE_ACCOUNT.",
    format: text,
    default: null,
  }),
  timeoutMs: setting({
    env: 'PUBSUB_ENSURE_TIMEOUT_MS',
    doc: 'The deadline of each Pub/Sub call, its retries included, in ms.',
    format: integer(100, 120_000),
    default: DEFAULT_ENSURE_TIMEOUT_MS,
  }),
};

/** Where a tool's Pub/Sub calls go, from PUBSUB_EMULATOR_HOST and the project settings. */
export interface PubSubTarget {
  /** Undefined: Google. */
  readonly emulatorHost: string | undefined;
  readonly projectId: string;
  /** The emulator was meant (even by a PUBSUB_EMULATOR_HOST that was refused). */
  readonly local: boolean;
}

/**
 * The emulator host and the project: PUBSUB_PROJECT_ID, else GOOGLE_CLOUD_PROJECT, else (for the
 * emulator only) DEFAULT_EMULATOR_PROJECT; a real project without one is refused into `report`.
 */
export function pubsubTarget(
  values: {
    readonly emulatorHost: string | null;
    readonly pubsubProjectId: string | null;
    readonly projectId: string | null;
  },
  report: ConfigReport,
): PubSubTarget {
  const emulatorHost = values.emulatorHost ?? undefined;
  // A refused PUBSUB_EMULATOR_HOST still says the emulator was meant: judge the rest by that.
  const local = emulatorHost !== undefined || report.refused('PUBSUB_EMULATOR_HOST');
  const projectId = values.pubsubProjectId ?? values.projectId ?? undefined;
  if (projectId === undefined && !local) {
    report.refuse(
      'PUBSUB_PROJECT_ID',
      undefined,
      'a project id (PUBSUB_PROJECT_ID or GOOGLE_CLOUD_PROJECT) for a real project',
    );
  }
  return { emulatorHost, projectId: projectId ?? DEFAULT_EMULATOR_PROJECT, local };
}

export interface PubSubEnsureConfig {
  /** Undefined: Google. */
  readonly emulatorHost: string | undefined;
  readonly projectId: string;
  /** By the topology's endpoint names. */
  readonly endpoints: Readonly<Record<string, PushEndpoint>>;
  readonly timeoutMs: number;
}

export function loadPubSubEnsureConfig(env: Env = process.env): PubSubEnsureConfig {
  const { values, report, operator } = readSettings(PUBSUB_ENSURE_SETTINGS, env, {
    platform: detectPlatform(env),
  });
  const { emulatorHost: emulator, projectId, local } = pubsubTarget(values, report);
  const url = values.ingestPushEndpoint;
  if (url === null && !report.refused('INGEST_PUSH_ENDPOINT')) {
    report.refuse('INGEST_PUSH_ENDPOINT', undefined, "alertIngest's push URL (the relay locally)");
  }
  if (url !== null && !local && !url.startsWith('https://')) {
    report.refuse(
      'INGEST_PUSH_ENDPOINT',
      operator.text('INGEST_PUSH_ENDPOINT'),
      'an https URL: a real project pushes to nothing else',
    );
  }
  if (values.ingestPushAudience !== null && values.ingestPushServiceAccount === null) {
    report.refuse(
      'INGEST_PUSH_AUDIENCE',
      operator.text('INGEST_PUSH_AUDIENCE'),
      'INGEST_PUSH_SERVICE_ACCOUNT to be set as well (the audience is of its ID token)',
    );
  }
  report.throwIfAny();
  const oidc =
    values.ingestPushServiceAccount === null
      ? undefined
      : {
          serviceAccountEmail: values.ingestPushServiceAccount,
          ...(values.ingestPushAudience === null ? {} : { audience: values.ingestPushAudience }),
        };
  return {
    emulatorHost: emulator,
    projectId,
    endpoints: {
      [INGEST_ENDPOINT]: { url: url as string, ...(oidc === undefined ? {} : { oidc }) },
    },
    timeoutMs: values.timeoutMs,
  };
}
