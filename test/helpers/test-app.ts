/**
 * Builds the real app (buildApp) around the tiny ONNX model wrapped in a RecordingModel, with a
 * config from `env`, already marked ready (or, with `loaded: false`, still starting with no
 * model; with `faults: true`, with the fault switch and its /admin/faults route). `listen()` puts
 * it on a real port when a test needs sockets; `http()` sends one request over a real socket.
 */
import { mkdtemp } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Agent, request } from 'undici';
import { buildApp, type RouteEntry } from '../../service/app.js';
import { loadServiceConfig, type ServiceConfig } from '../../service/config/index.js';
import { FaultInjector } from '../../service/faults/fault-injector.js';
import { type ServedModel, serveModel } from '../../service/inference/served-model.js';
import type { ConnectionTracker } from '../../service/lifecycle/connections.js';
import { createHealthMonitor } from '../../service/lifecycle/health.js';
import { createLifecycle, type Lifecycle } from '../../service/lifecycle/state.js';
import type { Model } from '../../service/model/model.js';
import { loadModelPackage } from '../../service/model/onnx-model.js';
import type { ServiceMetrics } from '../../service/observability/metrics.js';
import { createPressureMonitor, type PressureMonitor } from '../../service/protection/pressure.js';
import type { RateLimiting } from '../../service/protection/rate-limit.js';
import { type Sink, sinkLogger } from './log-sink.js';
import { RecordingModel } from './recording-model.js';
import { writeTinyModelPackage } from './tiny-model.js';

let tinyModel: Promise<Model> | null = null;

/** The tiny model package, loaded once per test file (worker). */
export function sharedTinyModel(): Promise<Model> {
  tinyModel ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'runwatch-tiny-'));
    await writeTinyModelPackage(dir);
    return loadModelPackage(dir);
  })();
  return tinyModel;
}

export interface HttpRequest {
  readonly method?: 'GET' | 'POST' | 'OPTIONS' | 'PUT' | 'DELETE';
  readonly url: string;
  readonly payload?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly remoteAddress?: string;
}

export interface HttpReply {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
  // biome-ignore lint/suspicious/noExplicitAny: test assertions read parsed bodies freely, as with inject.
  json(): any;
}

export interface TestApp {
  readonly app: FastifyInstance;
  readonly config: ServiceConfig;
  readonly recording: RecordingModel;
  readonly served: ServedModel;
  readonly metrics: ServiceMetrics;
  readonly connections: ConnectionTracker;
  readonly rateLimiting: RateLimiting;
  readonly routes: readonly RouteEntry[];
  readonly lifecycle: Lifecycle;
  /** Started (sampling) when delay or utilization shedding is on; stopped when the app closes. */
  readonly pressure: PressureMonitor;
  readonly sink: Sink;
  /** Listens on 127.0.0.1, port 0; returns the base URL. */
  listen(): Promise<string>;
  /**
   * One request over a real socket (listening first if needed), shaped like `app.inject`'s
   * reply. `remoteAddress` picks the loopback address the client connects from (127.0.0.0/8).
   */
  http(request: HttpRequest): Promise<HttpReply>;
}

export async function buildTestApp(
  env: Record<string, string> = {},
  model?: Model,
  opts: { loaded?: boolean; faults?: boolean } = {},
): Promise<TestApp> {
  const loaded = opts.loaded ?? true;
  // POST /admin/faults is registered whatever the config says (it is the app's deps that carry it).
  const faults = opts.faults === true ? new FaultInjector() : undefined;
  const { config } = loadServiceConfig({ GOOGLE_CLOUD_PROJECT: 'proj', ...env });
  const sink = sinkLogger('debug');
  const lifecycle = createLifecycle();
  const inner = model ?? (await sharedTinyModel());
  const recording = new RecordingModel(faults ? faults.wrap(inner) : inner);
  const health = createHealthMonitor({
    checks: [],
    intervalMs: 1000,
    timeoutMs: 100,
    log: sink.log,
  });
  await health.runNow();
  let served: ServedModel | null = null;
  const pressure = createPressureMonitor(config.shedding, () =>
    loaded ? (served?.batcher.queueDepth ?? null) : null,
  );
  const { app, metrics, connections, rateLimiting, routes } = buildApp({
    ...(faults ? { faults } : {}),
    config,
    log: sink.log,
    lifecycle,
    health,
    pressure,
    getServed: () => (loaded ? served : null),
    serviceVersion: '9.9.9',
    instanceId: 'test-rev-00000001',
  });
  served = serveModel(
    recording,
    config.inference,
    { loadedAt: new Date('2026-11-27T10:00:00Z'), loadMs: 12.5, warmUpMs: 0.75 },
    metrics.batcherObserver(),
  );
  if (loaded) lifecycle.markReady();
  pressure.start();
  app.addHook('onClose', async () => pressure.stop());
  let base: Promise<string> | null = null;
  const listen = async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  };
  const agents = new Map<string, Agent>();
  app.addHook('onClose', async () => {
    await Promise.all([...agents.values()].map((a) => a.close()));
  });
  return {
    metrics,
    connections,
    rateLimiting,
    routes,
    app,
    config,
    recording,
    served,
    lifecycle,
    pressure,
    sink,
    listen() {
      base ??= listen();
      return base;
    },
    async http(req) {
      base ??= listen();
      const from = req.remoteAddress ?? '127.0.0.1';
      let agent = agents.get(from);
      if (agent === undefined) {
        agent = new Agent({ localAddress: from });
        agents.set(from, agent);
      }
      const json = req.payload !== undefined && typeof req.payload !== 'string';
      const res = await request(`${await base}${req.url}`, {
        method: req.method ?? 'GET',
        dispatcher: agent,
        headers: { ...(json ? { 'content-type': 'application/json' } : {}), ...req.headers },
        ...(req.payload === undefined
          ? {}
          : { body: json ? JSON.stringify(req.payload) : (req.payload as string) }),
      });
      const body = await res.body.text();
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(res.headers)) {
        headers[k] = Array.isArray(v) ? v.join(', ') : v;
      }
      return { statusCode: res.statusCode, headers, body, json: () => JSON.parse(body) };
    },
  };
}

/**
 * Fills a 100-text queue (MAX_QUEUE_DEPTH=100): one /predict held in the model, then a 99-text
 * /predict_batch behind it. Returns the two pending responses and the release of the hold.
 */
export async function fillQueue(built: TestApp) {
  const release = built.recording.holdOn('busy');
  const busy = built.http({ method: 'POST', url: '/predict', payload: { text: 'busy' } });
  await built.recording.started('busy');
  const texts = Array.from({ length: 99 }, (_, i) => `queued ${i}`);
  const batch = built.http({ method: 'POST', url: '/predict_batch', payload: { texts } });
  while (built.served.batcher.queueDepth < 100) await new Promise((r) => setTimeout(r, 2));
  return { release, busy, batch };
}
