/**
 * The composition root: config → logger → app → listen → drain triggers → model → warm-up →
 * ready. `service/main.ts` calls it with the real process; the drain test fixture calls it with a
 * decorated model loader. Nothing here runs on the request path.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { ConfigError, EXIT_CONFIG, formatProblem } from '../lib/config/problems.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { isModelPackageError } from '../lib/model-package/errors.js';
import { buildApp } from './app.js';
import {
  type loadServiceConfig,
  loadServiceConfigOnHost,
  type ServiceConfig,
} from './config/index.js';
import { FaultInjector } from './faults/fault-injector.js';
import { type ServedModel, serveModel } from './inference/served-model.js';
import { createDefaultChecks } from './lifecycle/checks/index.js';
import {
  createDrainer,
  type Drainer,
  installDrainTriggers,
  type ProcessLike,
  type ShutdownHandler,
} from './lifecycle/drain.js';
import { createHealthMonitor } from './lifecycle/health.js';
import { createLifecycle, type Lifecycle } from './lifecycle/state.js';
import type { Model } from './model/model.js';
import { loadModelPackage } from './model/onnx-model.js';
import { newInstanceId } from './observability/metrics.js';
import { createPressureMonitor } from './protection/pressure.js';

/** Exit codes, as documented in docs/errors.md. */
export const EXIT = {
  DRAINED: 0,
  FORCED: 1,
  /** EX_NOINPUT: the model package is missing, corrupt or has the wrong inputs/outputs. */
  MODEL_PACKAGE: 66,
  CONFIG: EXIT_CONFIG,
} as const;

const WARM_UP_TEXTS = ['warming up the model before the first request'];

export interface StartOptions {
  /** The environment; `process.env` (read by the config module) when absent. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly proc: ProcessLike;
  readonly exit: (code: number) => void;
  /** Whether stdout is a terminal (pretty logs in development). */
  readonly isTTY: boolean;
  /** Loads the model package; tests wrap the real loader. */
  readonly loadModel?: (path: string) => Promise<Model>;
}

export interface RunningService {
  readonly config: ServiceConfig;
  readonly port: number;
  readonly lifecycle: Lifecycle;
  readonly drainer: Drainer;
  readonly log: Logger;
}

function serviceVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: string;
  };
  return pkg.version ?? '0.0.0';
}

/** Starts the service. Resolves once it listens; model loading continues in the background. */
export async function startService(options: StartOptions): Promise<RunningService | null> {
  let loaded: ReturnType<typeof loadServiceConfig>;
  try {
    loaded = loadServiceConfigOnHost(options.env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const log = createLogger({ level: 'info' });
    for (const p of e.problems) {
      log.error(
        { event: 'config.invalid', variable: p.variable, value: p.value, expected: p.expected },
        formatProblem(p),
      );
    }
    options.exit(EXIT.CONFIG);
    return null;
  }
  const { config, warnings } = loaded;
  const log = createLogger({
    level: config.logLevel,
    pretty: config.prettyLogs ?? (config.environment === 'development' && options.isTTY),
  });
  for (const w of warnings) log.warn({ event: 'config.warning' }, w);

  let model: Model | null = null;
  let served: ServedModel | null = null;
  const lifecycle = createLifecycle();
  const health = createHealthMonitor({
    checks: createDefaultChecks(config, () => model),
    intervalMs: config.health.intervalMs,
    timeoutMs: config.health.checkTimeoutMs,
    log,
  });
  const pressure = createPressureMonitor(config.shedding, () => served?.batcher.queueDepth ?? null);
  const faults = config.faultInjection ? new FaultInjector() : undefined;
  const { app, connections, metrics, rateLimiting, shedLog } = buildApp({
    ...(faults ? { faults } : {}),
    config,
    log,
    lifecycle,
    health,
    pressure,
    getServed: () => (lifecycle.state === 'SERVICE_IS_STARTING' ? null : served),
    serviceVersion: serviceVersion(),
    instanceId: newInstanceId(config.revision),
  });

  const handlers: ShutdownHandler[] = [
    { name: 'health-monitor', run: () => health.stop() },
    { name: 'pressure-monitor', run: () => pressure.stop() },
    { name: 'model', run: async () => model?.close() },
    {
      name: 'rate-limit-store',
      run: async () => {
        await rateLimiting.redis?.quit();
      },
    },
    { name: 'shed-log', run: () => shedLog.flush() },
    { name: 'logs', run: () => log.flush() },
  ];
  const drainer = createDrainer({
    lifecycle,
    connections,
    budgets: config.drain,
    handlers,
    log,
    terminate: options.exit,
    onAbandoned: (n) => metrics.abandoned.inc(n),
  });
  installDrainTriggers(options.proc, drainer, log);

  await app.listen({ port: config.port, host: config.host });
  const port = (app.server.address() as AddressInfo).port;
  log.info(
    {
      event: 'server.listening',
      port,
      host: config.host,
      environment: config.environment,
      platform: config.platform,
    },
    `listening on ${config.host}:${port}`,
  );
  health.start();
  void loadAndWarmUp();
  return { config, port, lifecycle, drainer, log };

  async function loadAndWarmUp(): Promise<void> {
    const t0 = performance.now();
    try {
      const loadModel = options.loadModel ?? loadModelPackage;
      const loaded = await loadModel(config.modelPath);
      const m = faults ? faults.wrap(loaded) : loaded;
      model = m;
      const loadMs = performance.now() - t0;
      const t1 = performance.now();
      await m.predict(WARM_UP_TEXTS);
      const warmUpMs = performance.now() - t1;
      served = serveModel(
        m,
        config.inference,
        { loadedAt: new Date(), loadMs, warmUpMs },
        metrics.batcherObserver(),
      );
    } catch (e) {
      if (isModelPackageError(e)) {
        log.fatal(
          { event: 'model.invalid', modelPath: config.modelPath, err: e },
          `cannot serve: ${(e as Error).message}. Set MODEL_PATH to a model package directory (model.onnx + model.json).`,
        );
        options.exit(EXIT.MODEL_PACKAGE);
        return;
      }
      throw e;
    }
    if (drainer.draining) return;
    await health.runNow();
    // Sampling starts once the model is warm: loading blocks the loop by design, and that block
    // must not be held against the first requests.
    pressure.start();
    lifecycle.markReady();
    log.info(
      {
        event: 'model.ready',
        model: model ? `${model.name}@${model.version}` : null,
        loadMs: Math.round(served?.loadMs ?? 0),
        warmUpMs: Math.round((served?.warmUpMs ?? 0) * 1000) / 1000,
        readyMs: Math.round(performance.now() - t0),
      },
      'model loaded and warmed up; ready',
    );
  }
}
