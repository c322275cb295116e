/**
 * `alertTick`, the HTTP function Cloud Scheduler calls every minute (the local scheduler in
 * `npm start`): the alert engine's clock (alerts/engine/tick.ts: silences from the definitions,
 * the sweeper heartbeat, due groups flushed, the outbox delivered, old rows pruned), and a small
 * admin API over the engine's state. Every request is authenticated like healthSweep's
 * (SWEEP_AUDIENCE / SWEEP_INVOKER, or the platform's IAM): 401 `SWEEP_ERR_UNAUTHENTICATED`.
 *
 * | request | answer |
 * |---|---|
 * | `POST /` | the tick: 200 `{at, silences: {declared, expired}, heartbeat, flushed, deliveries, pruned, failed}` |
 * | `GET /alerts` | 200 `{alerts: [{fingerprint, state, labels, annotations, startsAt, groups}], truncated}`: at most `LIST_LIMIT` (500), by startsAt; `truncated` when there are more |
 * | `GET /silences[?all=true]` | 200 `{silences: [...]}`: not yet ended (all: every one kept) |
 * | `POST /silences` | 201 the silence; body `{matchers, startsAt?, endsAt, createdBy, comment}`, matchers as Alertmanager strings (`target="prod"`) or `{name, op, value}`; 409 `TICK_ERR_SILENCE_LIMIT` while `MAX_ACTIVE_SILENCES` (1000) have not ended |
 * | `DELETE /silences/<id>` | 200 `{expired: true}`; 404 when unknown or already ended; 409 `TICK_ERR_SILENCE_DEFINED` for a silence of the definitions file (edit the file: the tick writes its silences back) |
 * | `GET /deliveries[?status=pending\|delivered\|failed]` | 200 `{deliveries: [...]}`: the outbox, newest first |
 *
 * Input is strict: `startsAt`/`endsAt` are RFC 3339 date-times with a timezone (lib/rfc3339.ts;
 * `2026` or a time without an offset is refused, not guessed at), `endsAt` after now; at most 32
 * matchers, counted before any is parsed; a DELETE id at most `MAX_KEY_CHARS` once decoded.
 *
 * Errors are `{error: {code, message}}`: 400 `TICK_ERR_BODY_INVALID` or
 * `ENGINE_ERR_SILENCE_INVALID` naming the field, 400 `TICK_ERR_ID_INVALID`, 404
 * `TICK_ERR_NOT_FOUND`, 405 `TICK_ERR_METHOD`, 409 `TICK_ERR_SILENCE_DEFINED` and
 * `TICK_ERR_SILENCE_LIMIT`, 500 for a failure (the message says what).
 */
import { randomUUID } from 'node:crypto';
import type { Request, Response } from '@google-cloud/functions-framework';
import { parseMatcher } from '../alerts/engine/matchers.js';
import {
  checkMatcherCount,
  checkSilenceSpec,
  MAX_ACTIVE_SILENCES,
} from '../alerts/engine/silences.js';
import type { Matcher } from '../alerts/engine/types.js';
import { MAX_KEY_CHARS } from '../alerts/store/engine-store.js';
import { describeValue, type ErrorSpec, RunwatchError } from '../lib/errors.js';
import { parseRfc3339, RFC3339_EXPECTED } from '../lib/rfc3339.js';
import { SweepAuthError, SweepAuthUnavailableError } from './shared/errors.js';
import type { CertsProvider } from './shared/oidc.js';
import { createSchedulerAuth } from './shared/scheduler-auth.js';
import { createTickRuntime, type TickRuntimeOptions } from './shared/tick-runtime.js';

export const TICK_ERR_NOT_FOUND = 'TICK_ERR_NOT_FOUND';
export const TICK_ERR_METHOD = 'TICK_ERR_METHOD';
export const TICK_ERR_BODY_INVALID = 'TICK_ERR_BODY_INVALID';
export const TICK_ERR_INTERNAL = 'TICK_ERR_INTERNAL';
export const TICK_ERR_SILENCE_DEFINED = 'TICK_ERR_SILENCE_DEFINED';
export const TICK_ERR_SILENCE_LIMIT = 'TICK_ERR_SILENCE_LIMIT';
export const TICK_ERR_ID_INVALID = 'TICK_ERR_ID_INVALID';

export const TICK_ERRORS: readonly ErrorSpec[] = [
  {
    code: TICK_ERR_NOT_FOUND,
    statusCode: 404,
    meaning:
      'alertTick: no such path, or (DELETE /silences/<id>) no silence with that id that has not ended.',
  },
  {
    code: TICK_ERR_METHOD,
    statusCode: 405,
    meaning:
      'alertTick: the path exists but not with this method; `Allow` lists the ones it takes.',
  },
  {
    code: TICK_ERR_BODY_INVALID,
    statusCode: 400,
    meaning:
      'alertTick admin API: the body is not a JSON object of the expected shape, a time is not an RFC 3339 date-time with a timezone, or `endsAt` is not after now; the message names the field, the value and what was expected.',
  },
  {
    code: TICK_ERR_ID_INVALID,
    statusCode: 400,
    meaning: `alertTick: the id in DELETE /silences/<id> is longer than ${MAX_KEY_CHARS} characters (MAX_KEY_CHARS) once decoded, or is not valid percent-encoding; the message shows the id (or its length) and what was expected.`,
  },
  {
    code: TICK_ERR_SILENCE_DEFINED,
    statusCode: 409,
    meaning:
      'alertTick: DELETE /silences/<id> on a silence declared in the definitions file (origin `definitions`): the tick writes it back from the file, so it is changed or ended by editing that file (ALERTING_FILE) and deploying; the message names the silence and the file.',
  },
  {
    code: TICK_ERR_SILENCE_LIMIT,
    statusCode: 409,
    meaning: `alertTick: POST /silences while ${MAX_ACTIVE_SILENCES} silences (MAX_ACTIVE_SILENCES) have not ended; expire one (DELETE /silences/<id>) or wait for one to end.`,
  },
  {
    code: TICK_ERR_INTERNAL,
    statusCode: 500,
    meaning:
      'alertTick: the store could not be opened or read, or another failure without a code of its own (the message says what); Cloud Scheduler retries per its retry config, and the next tick does the same work anyway. A failing step of a tick is not this: the tick answers 200 and names the step in `failed`.',
  },
];

class TickError extends RunwatchError {}

export type AlertTickHandler = ((req: Request, res: Response) => Promise<void>) & {
  close(): Promise<void>;
};

/** How many rows a listing answers with at most. */
export const LIST_LIMIT = 500;
/** A silence without `startsAt` starts now. */
const bodyInvalid = (field: string, value: unknown, expected: string) =>
  new TickError(
    TICK_ERR_BODY_INVALID,
    400,
    `field ${field} is ${JSON.stringify(value)?.slice(0, 80) ?? 'undefined'}; expected ${expected}`,
    { field },
  );

function time(body: Record<string, unknown>, field: string, fallback?: number): number {
  const v = body[field];
  if (v === undefined && fallback !== undefined) return fallback;
  const ms = typeof v === 'string' ? parseRfc3339(v) : null;
  if (ms === null) throw bodyInvalid(`/${field}`, v, RFC3339_EXPECTED);
  return ms;
}

/** The matchers of a body, counted before any is parsed. */
function matchersOf(v: unknown): Matcher[] {
  if (!Array.isArray(v)) throw bodyInvalid('/matchers', v, 'an array of matchers');
  checkMatcherCount(v);
  return v.map((m, i) => {
    if (typeof m === 'string') {
      try {
        return parseMatcher(m);
      } catch (e) {
        throw bodyInvalid(`/matchers/${i}`, m, `a matcher (${(e as Error).message})`);
      }
    }
    return m as Matcher;
  });
}

/**
 * The id of `DELETE /silences/<id>`, percent-decoded and at most the store's key length. (The
 * Functions Framework's router refuses a malformed encoding before this handler; the handler
 * does not rely on being mounted there.)
 */
function silenceId(raw: string): string {
  let id: string;
  try {
    id = decodeURIComponent(raw);
  } catch {
    throw new TickError(
      TICK_ERR_ID_INVALID,
      400,
      `silence id ${describeValue(raw)} in the path is not valid percent-encoding; expected an id as GET /silences lists it, percent-encoded as UTF-8`,
    );
  }
  if (id.length > MAX_KEY_CHARS)
    throw new TickError(
      TICK_ERR_ID_INVALID,
      400,
      `silence id of ${id.length} characters in the path; expected at most ${MAX_KEY_CHARS}`,
    );
  return id;
}

export function createAlertTick(
  options: TickRuntimeOptions & { readonly certs?: CertsProvider } = {},
): AlertTickHandler {
  const runtime = createTickRuntime('alertTick', options);
  // An invalid configuration refuses to start rather than fail every tick.
  runtime.settings();
  const authenticate = createSchedulerAuth(() => runtime.settings().config, options.certs);

  const route = async (req: Request, res: Response): Promise<void> => {
    const path = req.path.replace(/\/+$/, '') || '/';
    const method = req.method;
    const allow = (methods: string) => {
      res.set('Allow', methods);
      throw new TickError(TICK_ERR_METHOD, 405, `${method} ${path}: expected ${methods}`);
    };
    if (path === '/') {
      if (method !== 'POST') allow('POST');
      res.status(200).json(await runtime.tick());
      return;
    }
    const { stores } = await runtime.context();
    const engine = stores.engine;
    if (path === '/alerts') {
      if (method !== 'GET') allow('GET');
      // One more than shown: whether there are more, without counting them all.
      const alerts = await engine.alerts(LIST_LIMIT + 1);
      res.status(200).json({
        alerts: alerts.slice(0, LIST_LIMIT).map(({ alert, groups }) => ({
          fingerprint: alert.fingerprint,
          state: alert.state,
          source: alert.source,
          labels: alert.labels,
          annotations: alert.annotations,
          startsAt: new Date(alert.startsAt).toISOString(),
          groups,
        })),
        truncated: alerts.length > LIST_LIMIT,
      });
      return;
    }
    if (path === '/deliveries') {
      if (method !== 'GET') allow('GET');
      const status = req.query.status;
      if (status !== undefined && !['pending', 'delivered', 'failed'].includes(String(status)))
        throw bodyInvalid('?status', status, 'pending, delivered or failed');
      const deliveries = await engine.deliveries({
        ...(status === undefined ? {} : { status: status as 'pending' }),
        limit: LIST_LIMIT,
      });
      res.status(200).json({ deliveries });
      return;
    }
    if (path === '/silences') {
      if (method === 'GET') {
        const all = req.query.all === 'true';
        res.status(200).json({
          silences: await engine.silences({ now: runtime.now(), all, limit: LIST_LIMIT }),
        });
        return;
      }
      if (method !== 'POST') allow('GET, POST');
      const body = req.body as unknown;
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        throw bodyInvalid('(the body)', body, 'a JSON object');
      const b = body as Record<string, unknown>;
      const now = runtime.now();
      const spec = checkSilenceSpec({
        matchers: matchersOf(b.matchers),
        startsAt: time(b, 'startsAt', now),
        endsAt: time(b, 'endsAt'),
        createdBy: b.createdBy as string,
        comment: b.comment as string,
      });
      // A silence that has already ended would mute nothing and only take room.
      if (spec.endsAt <= now)
        throw bodyInvalid('/endsAt', b.endsAt, `a time after now (${new Date(now).toISOString()})`);
      const silence = await engine.addSilence(
        { ...spec, id: randomUUID(), origin: 'api' },
        now,
        MAX_ACTIVE_SILENCES,
      );
      if (silence === null)
        throw new TickError(
          TICK_ERR_SILENCE_LIMIT,
          409,
          `${MAX_ACTIVE_SILENCES} silences have not ended; expected at most ${MAX_ACTIVE_SILENCES} at once: expire one (DELETE /silences/<id>) or wait for one to end`,
        );
      runtime
        .log()
        .info(
          { event: 'alert.silence_created', id: silence.id, createdBy: silence.createdBy },
          `silence ${silence.id} by ${silence.createdBy}: ${silence.comment}`,
        );
      res.status(201).json(silence);
      return;
    }
    const one = /^\/silences\/([^/]+)$/.exec(path);
    if (one !== null) {
      if (method !== 'DELETE') allow('DELETE');
      const id = silenceId(one[1] as string);
      const now = runtime.now();
      const found = await engine.getSilence(id);
      if (found?.origin === 'definitions' && found.endsAt > now)
        throw new TickError(
          TICK_ERR_SILENCE_DEFINED,
          409,
          `silence ${JSON.stringify(id)} is declared in the definitions file ${runtime.settings().config.alertingFile}; expected an API silence: edit that file to change or end it (the tick writes the file's silences back)`,
        );
      if (found === null || !(await engine.expireSilence(id, now)))
        throw new TickError(
          TICK_ERR_NOT_FOUND,
          404,
          `no silence ${JSON.stringify(id)} that has not ended`,
        );
      runtime.log().info({ event: 'alert.silence_expired', id }, `silence ${id} expired`);
      res.status(200).json({ expired: true });
      return;
    }
    throw new TickError(TICK_ERR_NOT_FOUND, 404, `no ${path} here`);
  };

  const handler = async (req: Request, res: Response): Promise<void> => {
    try {
      await authenticate(req);
      await route(req, res);
    } catch (e) {
      const code = e instanceof RunwatchError ? e.code : TICK_ERR_INTERNAL;
      const status = e instanceof RunwatchError && e.statusCode >= 400 ? e.statusCode : 500;
      const message = e instanceof Error ? e.message : String(e);
      const log = runtime.log();
      if (e instanceof SweepAuthError) res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      if (e instanceof SweepAuthUnavailableError) res.set('Retry-After', '10');
      if (status >= 500) log.error({ event: 'alert.tick_failed', code, error: message }, message);
      else log.warn({ event: 'alert.tick_refused', code, reason: message }, message);
      res.status(status).json({ error: { code, message } });
    }
  };
  return Object.assign(handler, { close: () => runtime.close() });
}
