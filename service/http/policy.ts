/**
 * Browser-facing HTTP policy: CORS from the config allowlist and security headers tuned for a
 * JSON API. `/security_status` reports from the same `corsOptions` the plugin is given, so the
 * report cannot drift from what is enforced.
 */
import cors, { type FastifyCorsOptions } from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';
import type { ServiceConfig } from '../config/index.js';

/** `scheme://host:*` allows any port of that host; anything else is an exact origin. */
export function originMatchers(origins: readonly string[]): (string | RegExp)[] {
  return origins.map((origin) => {
    if (origin === '*') return /.*/;
    if (!origin.endsWith(':*')) return origin;
    const base = origin.slice(0, -2).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return new RegExp(`^${base}(:\\d{1,5})?$`);
  });
}

export function corsOptions(config: ServiceConfig): FastifyCorsOptions {
  const origins = config.http.corsOrigins;
  return {
    // false: the plugin adds no Access-Control-Allow-* header to any response.
    origin: origins.length === 0 ? false : originMatchers(origins),
    methods: ['GET', 'POST'],
    allowedHeaders: ['content-type', 'x-api-key', 'x-request-id', 'traceparent'],
    exposedHeaders: ['x-request-id', 'x-instance-id', 'x-request-duration', 'retry-after'],
    maxAge: 600,
    strictPreflight: true,
  };
}

/** The options the plugins were registered with; `/security_status` reports these objects. */
export interface HttpPolicy {
  readonly cors: FastifyCorsOptions;
  readonly helmet: HelmetOptions;
  /** The security headers helmet computed from `helmet`, set on every response. */
  readonly securityHeaders: Readonly<Record<string, string>>;
}

/**
 * The policy for `config`, computed once. The app sets `securityHeaders` on every response in its
 * first onRequest hook, so refusals from any later hook carry them too; answers that bypass the
 * hooks (router errors, Node's parser errors) set them themselves.
 */
export function httpPolicyFor(config: ServiceConfig): HttpPolicy {
  const helmetOptions: HelmetOptions = {
    // A JSON API renders nothing: forbid every fetch and all framing.
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
    // Allowed origins read responses through CORS; CORP would only block them in no-cors mode.
    crossOriginResourcePolicy: { policy: 'cross-origin' },
    crossOriginEmbedderPolicy: false,
    hsts: { maxAge: 31536000, includeSubDomains: true },
    xFrameOptions: { action: 'deny' },
    // What OWASP's REST cheat sheet asks of an API is above (and Cache-Control below); these
    // govern HTML documents, old Internet Explorer and Flash, not JSON, and each header costs
    // every response, the 503s of an overloaded instance included.
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
  };
  return {
    cors: corsOptions(config),
    helmet: helmetOptions,
    // Predictions echo the caller's text: no shared or browser cache may keep them.
    securityHeaders: { ...computeHelmetHeaders(helmetOptions), 'cache-control': 'no-store' },
  };
}

/** Registers CORS with the policy's options, and strips what CORS leaves for a refused origin. */
export function registerHttpPolicy(app: FastifyInstance, policy: HttpPolicy): void {
  void app.register(cors, policy.cors);
  // @fastify/cors still sends the allow-methods, allow-headers, expose and max-age headers to an
  // origin it refused; a refused origin should learn nothing, so they go too.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (!reply.hasHeader('access-control-allow-origin')) {
      for (const name of CORS_RESPONSE_HEADERS) reply.removeHeader(name);
    }
    done(null, payload);
  });
}

const CORS_RESPONSE_HEADERS = [
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-allow-credentials',
  'access-control-expose-headers',
  'access-control-max-age',
];

/**
 * The headers helmet sets for `options`, computed once. With static directives (no nonces, no
 * functions) helmet's output never varies by request, so running its middleware per request
 * (what @fastify/helmet does) would only cost CPU (docs/benchmarks.md).
 */
export function computeHelmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader(name: string, value: unknown) {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let failure: unknown;
  helmet(options)(
    {} as Parameters<ReturnType<typeof helmet>>[0],
    response as unknown as Parameters<ReturnType<typeof helmet>>[1],
    (err?: unknown) => {
      failure = err;
    },
  );
  if (failure) throw failure;
  return headers;
}
