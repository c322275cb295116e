/**
 * `npm run dlq`'s command line: `list` or `replay` and their options, parsed strictly. Anything
 * else is DLQ_ERR_USAGE naming the argument: an unknown command or option, an option of the other
 * command, a bad value, or options that do not go together.
 */
import { parseArgs } from 'node:util';
import { DeadLetterError, DLQ_ERR_USAGE } from '../alerts/pubsub/replay-errors.js';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;
export const DEFAULT_TIMEOUT_MS = 10_000;
const TIMEOUT_BOUNDS = { min: 100, max: 120_000 } as const;

interface Common {
  /** A dead-letter topic's name. */
  readonly topic: string;
  readonly limit: number;
  /** Store only: poison received at or after this epoch ms. */
  readonly since: number | undefined;
  readonly json: boolean;
  /** Each Pub/Sub call's deadline, and the whole pulling's. */
  readonly timeoutMs: number;
}

export interface ListCommand extends Common {
  readonly command: 'list';
  readonly source: 'store' | 'subscription' | 'all';
}

export interface ReplayCommand extends Common {
  readonly command: 'replay';
  readonly source: 'store' | 'subscription';
  readonly ids: readonly string[] | 'all';
  readonly dryRun: boolean;
}

export type DlqCommand = ListCommand | ReplayCommand | { readonly command: 'help' };

export interface DlqTopics {
  /** The dead-letter topics that can be read, the default first. */
  readonly all: readonly string[];
  /** The one whose dead letters the store keeps too. */
  readonly store: string;
}

const OPTIONS = {
  source: { type: 'string' },
  topic: { type: 'string' },
  limit: { type: 'string' },
  since: { type: 'string' },
  json: { type: 'boolean' },
  'timeout-ms': { type: 'string' },
  id: { type: 'string', multiple: true },
  all: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

const REPLAY_ONLY = ['id', 'all', 'dry-run'] as const;

export function dlqUsage(topics: DlqTopics): string {
  return [
    'usage: npm run dlq -- list   [--source store|subscription|all] [--topic TOPIC] [--limit N] [--since ISO-TIME] [--json] [--timeout-ms MS]',
    '       npm run dlq -- replay [--source store|subscription] [--topic TOPIC] (--id MESSAGE_ID ... | --all) [--dry-run] [--limit N] [--since ISO-TIME] [--json] [--timeout-ms MS]',
    `  TOPIC: ${topics.all.join(' or ')} (default ${topics.all[0]}); the store keeps ${topics.store}'s only`,
    `  --limit: 1–${MAX_LIMIT}, default ${DEFAULT_LIMIT}; --timeout-ms: ${TIMEOUT_BOUNDS.min}–${TIMEOUT_BOUNDS.max}, default ${DEFAULT_TIMEOUT_MS}`,
    '  list reads both by default and consumes nothing; replay reads the subscription by default',
  ].join('\n');
}

function usage(message: string, field?: string): DeadLetterError {
  return new DeadLetterError(DLQ_ERR_USAGE, 400, message, field === undefined ? {} : { field });
}

function boundedInt(flag: string, raw: string | undefined, dflt: number, min: number, max: number) {
  if (raw === undefined) return dflt;
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw usage(
      `--${flag} is ${JSON.stringify(raw)}; expected an integer from ${min} to ${max}`,
      `--${flag}`,
    );
  }
  return n;
}

function oneOf<T extends string>(
  flag: string,
  raw: string | undefined,
  allowed: readonly T[],
  dflt: T,
): T {
  if (raw === undefined) return dflt;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw usage(
      `--${flag} is ${JSON.stringify(raw)}; expected ${allowed.join(' or ')}`,
      `--${flag}`,
    );
  }
  return raw as T;
}

function sinceOf(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}/.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw usage(
      `--since is ${JSON.stringify(raw)}; expected an ISO 8601 time such as 2026-12-07T12:00:00Z`,
      '--since',
    );
  }
  return ms;
}

/** Parses `argv` (after the script's name); throws DLQ_ERR_USAGE. */
export function parseDlqArgs(argv: readonly string[], topics: DlqTopics): DlqCommand {
  let values: {
    [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K] extends { multiple: true }
      ? string[]
      : (typeof OPTIONS)[K]['type'] extends 'boolean'
        ? boolean
        : string;
  };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: OPTIONS,
      strict: true,
      allowPositionals: true,
    }));
  } catch (cause) {
    // node:util's message names the option; its advice about `--` is of no use here.
    const reason = (cause instanceof Error ? cause.message : String(cause)).split(
      '. To specify',
    )[0];
    throw new DeadLetterError(DLQ_ERR_USAGE, 400, String(reason), { cause });
  }
  const [command, ...extra] = positionals;
  if (values.help === true || command === 'help') return { command: 'help' };
  if (command === undefined) throw usage('no command given; expected list or replay');
  if (command !== 'list' && command !== 'replay') {
    throw usage(`unknown command ${JSON.stringify(command)}; expected list or replay`, command);
  }
  if (extra.length > 0) {
    throw usage(`unexpected argument ${JSON.stringify(extra[0])} after ${command}`, extra[0]);
  }
  const topic = oneOf('topic', values.topic, topics.all, topics.all[0] as string);
  const common = {
    topic,
    limit: boundedInt('limit', values.limit, DEFAULT_LIMIT, 1, MAX_LIMIT),
    since: sinceOf(values.since),
    json: values.json === true,
    timeoutMs: boundedInt(
      'timeout-ms',
      values['timeout-ms'],
      DEFAULT_TIMEOUT_MS,
      TIMEOUT_BOUNDS.min,
      TIMEOUT_BOUNDS.max,
    ),
  };

  const checkSource = (source: string): void => {
    if (source !== 'subscription' && topic !== topics.store) {
      throw usage(
        `--source ${source} with --topic ${topic}: the store keeps ${topics.store}'s dead letters only; use --source subscription`,
        '--source',
      );
    }
    if (source === 'subscription' && common.since !== undefined) {
      throw usage(
        '--since reads the store only; it does not go with --source subscription',
        '--since',
      );
    }
  };

  if (command === 'list') {
    const given = REPLAY_ONLY.find((flag) => values[flag] !== undefined);
    if (given !== undefined)
      throw usage(`--${given} is an option of replay, not of list`, `--${given}`);
    const source = oneOf('source', values.source, ['store', 'subscription', 'all'] as const, 'all');
    // `all` on a topic the store does not keep reads the subscription alone.
    const effective = source === 'all' && topic !== topics.store ? 'subscription' : source;
    if (source !== 'all') checkSource(source);
    else if (effective === 'subscription' && common.since !== undefined)
      checkSource('subscription');
    return { command, source: effective, ...common };
  }

  const source = oneOf('source', values.source, ['store', 'subscription'] as const, 'subscription');
  checkSource(source);
  const ids = values.id ?? [];
  if (ids.length > 0 && values.all === true) {
    throw usage('--id and --all do not go together; give one', '--all');
  }
  if (ids.length === 0 && values.all !== true) {
    throw usage('replay needs --id MESSAGE_ID (one or more) or --all', '--id');
  }
  const empty = ids.find((id) => id.trim() === '');
  if (empty !== undefined) throw usage('--id is empty; expected a messageId', '--id');
  return {
    command,
    source,
    ids: values.all === true ? 'all' : ids,
    dryRun: values['dry-run'] === true,
    ...common,
  };
}
