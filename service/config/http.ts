/**
 * The HTTP server: where it listens, how long it waits for clients, which browser origins may call
 * it, and how large a request may be.
 */
import { defineFormat, Expected, integer, text } from '../../lib/config/formats.js';
import { byEnvironment } from '../../lib/config/presets.js';
import type { ConfigReport } from '../../lib/config/problems.js';
import { setting, type ValuesOf } from '../../lib/config/settings.js';

/**
 * CORS_ORIGINS: comma-separated origins, each `scheme://host[:port]` (no path), or
 * `scheme://host:*` for any port of that host (development's localhost). Empty means none.
 */
const ORIGIN = /^(https?):\/\/([a-z0-9.-]+|\[[0-9a-f:]+\])(:(\d{1,5}|\*))?$/;

/** The origins in `raw`, lower-cased and without repeats; throws `Expected` naming a bad one. */
export function parseOrigins(raw: string): string[] {
  const entries = raw
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== '');
  for (const e of entries) {
    if (!ORIGIN.test(e)) {
      throw new Expected(
        `origins like https://app.example.com or http://localhost:* (scheme, host, optional port; no path), comma-separated; "${e}" is not one`,
      );
    }
  }
  return [...new Set(entries)];
}

const origins = defineFormat<readonly string[]>({
  name: 'origins',
  coerce: (text) => {
    try {
      return parseOrigins(text);
    } catch {
      return text;
    }
  },
  // Text here is what `coerce` could not parse: parsing it again names the bad origin.
  validate: (value) => {
    parseOrigins(Array.isArray(value) ? value.join(',') : String(value));
    if (!Array.isArray(value)) throw new Expected('comma-separated origins');
  },
});

export const httpSettings = {
  port: setting({
    env: 'PORT',
    doc: 'TCP port to listen on (0 picks a free one; Cloud Run injects it).',
    format: integer(0, 65535),
    default: 8080,
  }),
  host: setting({
    env: 'HOST',
    doc: 'Address to listen on. Cloud Run needs 0.0.0.0.',
    format: text,
    default: '0.0.0.0',
  }),
  http: {
    keepAliveTimeoutMs: setting({
      env: 'KEEP_ALIVE_TIMEOUT_MS',
      doc: 'How long an idle keep-alive connection stays open.',
      format: integer(1000, 600000),
      default: 5000,
    }),
    corsOrigins: setting({
      env: 'CORS_ORIGINS',
      doc: 'Browser origins allowed to call the API (CORS), comma-separated; host:* allows any port. Empty allows none: no Access-Control-Allow-* headers.',
      format: origins,
      default: byEnvironment<readonly string[]>(
        [],
        [],
        ['http://localhost:*', 'http://127.0.0.1:*'],
        '(none) / (none) / http://localhost:*, http://127.0.0.1:* (prod / staging / dev)',
      ),
    }),
    bodyLimitBytes: setting({
      env: 'BODY_LIMIT_BYTES',
      doc: 'Largest request body accepted; a larger one gets 413 SVC_ERR_BODY_TOO_LARGE. The default fits a full /predict_batch of 4-byte characters.',
      format: integer(1024, 10 * 1024 * 1024),
      default: 262144,
    }),
    headersTimeoutMs: setting({
      env: 'HEADERS_TIMEOUT_MS',
      doc: 'Time a client gets to send the request headers; a slower one is cut off (slowloris).',
      format: integer(1000, 600000),
      default: 10000,
    }),
    requestTimeoutMs: setting({
      env: 'REQUEST_TIMEOUT_MS',
      doc: 'Time a client gets to send the whole request, body included; at least HEADERS_TIMEOUT_MS.',
      format: integer(1000, 3600000),
      default: 30000,
    }),
    connectionsCheckIntervalMs: setting({
      env: 'CONNECTIONS_CHECK_INTERVAL_MS',
      doc: "How often Node checks the two timeouts above (Node's default, 30 s, lets a slow client hold a socket that long).",
      format: integer(100, 60000),
      default: 1000,
    }),
  },
};

export type HttpConfig = ValuesOf<typeof httpSettings>;

export function checkHttp({ http }: HttpConfig, report: ConfigReport): void {
  if (http.requestTimeoutMs < http.headersTimeoutMs) {
    report.refuse(
      'REQUEST_TIMEOUT_MS',
      String(http.requestTimeoutMs),
      `at least HEADERS_TIMEOUT_MS (${http.headersTimeoutMs})`,
    );
  }
}
