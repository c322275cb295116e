/**
 * The Eventarc relay: Eventarc has no emulator, so locally a push subscription delivers here and
 * each push is re-posted to its target as the binary-mode CloudEvent Eventarc would send
 * (gcp-formats.md §1.1): headers `ce-id` (the messageId), `ce-source`
 * (`//pubsub.googleapis.com/<topic>`), `ce-specversion: 1.0`, `ce-type:
 * google.cloud.pubsub.topic.v1.messagePublished`, `ce-time` (the publishTime) and `Content-Type:
 * application/json`; body `{message:{attributes, data, messageId, message_id, publishTime,
 * publish_time, orderingKey}, subscription}`, both spellings always, `orderingKey` when the push
 * carries one. A push body names its subscription but not its topic, so each route says which
 * topic it serves.
 *
 * The answer tells the emulator whether to redeliver. The target's 200 and 204 pass through;
 * 201 and 202, which Pub/Sub and Eventarc take as success but the emulator retries, become 204;
 * any other status, a timeout or a connection error becomes 500 (RELAY_ERR_FORWARD_FAILED), so
 * the subscription's retry and dead-letter policies apply as they would in production. A body
 * that is not a push is 400, one over the bound 413, an unknown path 404; the emulator retries
 * those too, which only a hand-made request would ever get.
 *
 * Bounded: the body is read up to `maxBodyBytes`; each forward, headers and body, ends within
 * `forwardTimeoutMs` (keep it under the subscription's ack deadline, or the emulator sends the
 * message again while the first forward still runs). Not reproduced: Eventarc's `Authorization`
 * (Cloud Run IAM) and `traceparent` headers.
 */

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { MESSAGE_PUBLISHED } from '../alerts/ingest/envelope.js';
import type { Logger } from '../lib/logger.js';
import {
  RELAY_ERR_BODY_INVALID,
  RELAY_ERR_BODY_TOO_LARGE,
  RELAY_ERR_FORWARD_FAILED,
  RELAY_ERR_NO_ROUTE,
  RELAY_ERR_ROUTE_INVALID,
  RelayError,
} from './pubsub-errors.js';

/** The CloudEvent type Eventarc gives a Pub/Sub message (the one ingest accepts). */
export const PUBSUB_MESSAGE_PUBLISHED = MESSAGE_PUBLISHED;
/** Above the largest push Pub/Sub makes: 10 MB of data is 13.4 MB of base64, plus attributes. */
export const DEFAULT_RELAY_MAX_BODY_BYTES = 16 * 1024 * 1024;
export const DEFAULT_RELAY_FORWARD_TIMEOUT_MS = 10_000;

const TOPIC_NAME = /^projects\/[^/]+\/topics\/[^/]+$/;

export interface RelayRoute {
  /** The request path the push subscription's endpoint has, e.g. `/alert-ingest`. */
  readonly path: string;
  /** The full topic name `projects/P/topics/T` the subscription reads, for `ce-source`. */
  readonly topic: string;
  /** Where the CloudEvent is posted, e.g. the function's `http://127.0.0.1:8082/`. */
  readonly target: string;
}

export interface EventarcRelayOptions {
  readonly routes: readonly RelayRoute[];
  readonly log: Logger;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0: a free port. */
  readonly port?: number;
  readonly maxBodyBytes?: number;
  readonly forwardTimeoutMs?: number;
}

export interface EventarcRelay {
  /** `http://127.0.0.1:N`, no trailing slash. */
  readonly url: string;
  readonly port: number;
  /** The push endpoint URL of a route's path. */
  endpoint(path: string): string;
  /** Stops listening; forwards still under way are abandoned (their pushes answered 500). */
  close(): Promise<void>;
}

/** The part of a push body the relay reads; the emulator and Pub/Sub push both send it. */
export interface PushBody {
  readonly subscription: string;
  readonly message: {
    readonly data?: string;
    readonly attributes?: Readonly<Record<string, string>>;
    readonly messageId: string;
    readonly publishTime: string;
    readonly orderingKey?: string;
  };
}

export interface CloudEventRequest {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The Eventarc binary-mode CloudEvent for one push of a message published to `topic`. */
export function toEventarcCloudEvent(push: PushBody, topic: string): CloudEventRequest {
  const m = push.message;
  const message = {
    ...(m.attributes === undefined ? {} : { attributes: m.attributes }),
    ...(m.data === undefined ? {} : { data: m.data }),
    messageId: m.messageId,
    message_id: m.messageId,
    publishTime: m.publishTime,
    publish_time: m.publishTime,
    ...(m.orderingKey ? { orderingKey: m.orderingKey } : {}),
  };
  return {
    headers: {
      'ce-id': m.messageId,
      'ce-source': `//pubsub.googleapis.com/${topic}`,
      'ce-specversion': '1.0',
      'ce-type': PUBSUB_MESSAGE_PUBLISHED,
      'ce-time': m.publishTime,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ message, subscription: push.subscription }),
  };
}

const isText = (v: unknown): v is string => typeof v === 'string' && v !== '';

/** The push body, or why it is not one. Either spelling of the id and time is accepted. */
export function parsePushBody(value: unknown): PushBody | string {
  if (value === null || typeof value !== 'object') return 'the body is not a JSON object';
  const { subscription, message } = value as { subscription?: unknown; message?: unknown };
  if (!isText(subscription)) return 'subscription is not a non-empty string';
  if (message === null || typeof message !== 'object') return 'message is not an object';
  const m = message as Record<string, unknown>;
  const messageId = m.messageId ?? m.message_id;
  const publishTime = m.publishTime ?? m.publish_time;
  if (!isText(messageId)) return 'message.messageId is not a non-empty string';
  if (!isText(publishTime)) return 'message.publishTime is not a non-empty string';
  if (m.data !== undefined && typeof m.data !== 'string') return 'message.data is not a string';
  const attributes = m.attributes;
  if (
    attributes !== undefined &&
    (attributes === null ||
      typeof attributes !== 'object' ||
      !Object.values(attributes).every((v) => typeof v === 'string'))
  ) {
    return 'message.attributes is not an object of strings';
  }
  if (m.orderingKey !== undefined && typeof m.orderingKey !== 'string') {
    return 'message.orderingKey is not a string';
  }
  return {
    subscription,
    message: {
      messageId,
      publishTime,
      ...(m.data === undefined ? {} : { data: m.data as string }),
      ...(attributes === undefined ? {} : { attributes: attributes as Record<string, string> }),
      ...(m.orderingKey === undefined ? {} : { orderingKey: m.orderingKey as string }),
    },
  };
}

function checkRoutes(routes: readonly RelayRoute[]): void {
  const paths = new Set<string>();
  for (const [i, r] of routes.entries()) {
    let problem: string | null = null;
    if (!r.path.startsWith('/') || paths.has(r.path)) {
      problem = `path ${JSON.stringify(r.path)}; expected a path starting with / that no other route has`;
    } else if (!TOPIC_NAME.test(r.topic)) {
      problem = `topic ${JSON.stringify(r.topic)}; expected projects/P/topics/T`;
    } else {
      try {
        if (!/^https?:$/.test(new URL(r.target).protocol)) throw new Error('scheme');
      } catch {
        problem = `target ${JSON.stringify(r.target)}; expected an http(s) URL`;
      }
    }
    if (problem !== null) {
      throw new RelayError(RELAY_ERR_ROUTE_INVALID, 500, `relay route ${i} has ${problem}`, {
        field: `routes[${i}]`,
      });
    }
    paths.add(r.path);
  }
}

type BodyRead = { ok: true; body: Buffer } | { ok: false; tooLarge: boolean };

function readBody(req: http.IncomingMessage, max: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) {
      resolve({ ok: false, tooLarge: true });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.pause();
        resolve({ ok: false, tooLarge: true });
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve({ ok: true, body: Buffer.concat(chunks) }));
    req.once('error', () => resolve({ ok: false, tooLarge: false }));
  });
}

/** What the emulator is answered for the target's status. */
function answerFor(status: number): number | null {
  if (status === 200 || status === 204) return status;
  if (status === 201 || status === 202) return 204;
  return null;
}

export async function startEventarcRelay(options: EventarcRelayOptions): Promise<EventarcRelay> {
  checkRoutes(options.routes);
  const routes = new Map(options.routes.map((r) => [r.path, r]));
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_RELAY_MAX_BODY_BYTES;
  const forwardTimeoutMs = options.forwardTimeoutMs ?? DEFAULT_RELAY_FORWARD_TIMEOUT_MS;
  const log = options.log.child({ module: 'stack/eventarc-relay' });
  const agent = new Agent({ connectTimeout: forwardTimeoutMs });

  const answer = (res: http.ServerResponse, status: number, close = false): void => {
    res.writeHead(status, close ? { connection: 'close' } : {});
    res.end();
  };
  const reject = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    status: number,
    code: string,
    reason: string,
  ): void => {
    log.warn({ event: 'relay.rejected', code, path: req.url, reason }, 'push refused by the relay');
    // An unread body would be left on the connection: close it instead.
    answer(res, status, !req.complete);
    if (!req.complete) res.once('finish', () => req.destroy());
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = routes.get(path);
    if (route === undefined) {
      reject(req, res, 404, RELAY_ERR_NO_ROUTE, `no route for ${path}`);
      return;
    }
    if (req.method !== 'POST') {
      reject(req, res, 400, RELAY_ERR_BODY_INVALID, `method ${req.method}; expected POST`);
      return;
    }
    const read = await readBody(req, maxBodyBytes);
    if (!read.ok) {
      if (read.tooLarge) {
        reject(req, res, 413, RELAY_ERR_BODY_TOO_LARGE, `the body is over ${maxBodyBytes} bytes`);
      } else {
        req.destroy();
      }
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(read.body.toString('utf8'));
    } catch {
      json = undefined;
    }
    const push = parsePushBody(json);
    if (typeof push === 'string') {
      reject(req, res, 400, RELAY_ERR_BODY_INVALID, push);
      return;
    }
    const event = toEventarcCloudEvent(push, route.topic);
    const began = performance.now();
    const fields = {
      path,
      topic: route.topic,
      target: route.target,
      messageId: push.message.messageId,
    };
    let failure: string;
    let targetStatus: number | undefined;
    try {
      const reply = await request(route.target, {
        method: 'POST',
        headers: event.headers,
        body: event.body,
        dispatcher: agent,
        headersTimeout: forwardTimeoutMs,
        bodyTimeout: forwardTimeoutMs,
        signal: AbortSignal.timeout(forwardTimeoutMs),
      });
      targetStatus = reply.statusCode;
      await reply.body.dump();
      const status = answerFor(reply.statusCode);
      if (status !== null) {
        log.info(
          {
            event: 'relay.forwarded',
            ...fields,
            status: targetStatus,
            durationMs: Math.round(performance.now() - began),
          },
          'push relayed as a CloudEvent',
        );
        answer(res, status);
        return;
      }
      failure = `the target answered ${reply.statusCode}`;
    } catch (e) {
      const name = (e as { name?: string }).name;
      const code = (e as { code?: string }).code;
      failure =
        name === 'TimeoutError' ||
        code === 'UND_ERR_HEADERS_TIMEOUT' ||
        code === 'UND_ERR_BODY_TIMEOUT'
          ? `no answer within ${forwardTimeoutMs} ms`
          : `the target cannot be reached (${code ?? (e as Error).message})`;
    }
    log.warn(
      {
        event: 'relay.forward_failed',
        code: RELAY_ERR_FORWARD_FAILED,
        ...fields,
        ...(targetStatus === undefined ? {} : { status: targetStatus }),
        reason: failure,
        durationMs: Math.round(performance.now() - began),
      },
      'push not delivered; the emulator will redeliver it',
    );
    answer(res, 500);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      log.error({ event: 'relay.failed', err: e }, 'relay failed');
      if (!res.headersSent) answer(res, 500, true);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url,
    port,
    endpoint: (path) => `${url}${path}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await agent.destroy();
      await closed;
    },
  };
}
