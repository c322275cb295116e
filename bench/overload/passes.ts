/**
 * The overload bench's measurements, each on servers it starts and stops itself: a variant's
 * capacity cells and overload passes on a fresh server, the full-against-bare window pairs on two
 * live servers, and the whole run (reference capacity, interleaved rounds, pairs).
 *
 * Why each pass is judged against a paired capacity, and the lab notes behind these choices:
 * docs/benchmarks.md, overload.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { interleaveRounds } from '../lib/harness.js';
import {
  freePort,
  type ServerProcess,
  spawnServer,
  stopServer,
  waitFor,
} from '../lib/server-process.js';
import {
  procCpuSeconds,
  serverCounts,
  startProber,
  summarizeProbes,
  tcpCounters,
} from './counters.js';
import { closedLoop, ratedLoad, warmClosedLoop } from './load.js';
import {
  CAPACITY_CONCURRENCY,
  COMPARE_AT,
  type OverloadOptions,
  REFERENCE_CONCURRENCY,
} from './options.js';
import {
  type CapacityCell,
  type OverloadPass,
  type OverloadRun,
  SHED_REASONS,
  type StackPair,
  type VariantRound,
} from './result.js';
import { ratePerSecond, ratio } from './stats.js';
import { serviceEnv, VARIANT_NAMES, VARIANTS, type VariantName } from './variants.js';

const SERVICE = fileURLToPath(new URL('../../service/main.js', import.meta.url));

/** What the measurements need from their caller. */
export interface BenchContext {
  readonly options: OverloadOptions;
  /** PATH for the servers' environment. */
  readonly path: string;
  /** Where each server's log goes (`<variant>.log`). */
  readonly logDir: string;
  /** Progress lines, as the run goes. */
  readonly log: (line: string) => void;
}

/** Spawns the service variant on core 0 and resolves once /health/startup answers 200. */
async function startServer(ctx: BenchContext, variant: VariantName): Promise<ServerProcess> {
  const server = spawnServer(
    SERVICE,
    serviceEnv(variant, ctx.options.modelPath, ctx.path),
    await freePort(),
    join(ctx.logDir, `${variant}.log`),
  );
  await waitFor(server, '/health/startup', 200).catch((e: unknown) => {
    throw new Error(`${variant}: ${(e as Error).message} (logs: ${ctx.logDir})`);
  });
  return server;
}

const warmWindow = (ctx: BenchContext, port: number, connections: number) =>
  warmClosedLoop(port, connections, ctx.options.warmupS, ctx.options.durationS);

/** One overload pass over `connections` connections on a live server. */
export async function overloadPass(
  ctx: BenchContext,
  server: ServerProcess,
  connections: number,
): Promise<OverloadPass> {
  const { options } = ctx;
  // Paired capacity: this server's closed loop just before and just after the pass, since a
  // capacity measured minutes earlier can flatter or sink a goodput ratio on its own (the
  // machine's speed drifts between minutes).
  const capBefore = (await warmWindow(ctx, server.port, COMPARE_AT)).okPerS;
  const before = await serverCounts(server.port);
  const prober = startProber(server.port, options.probeIntervalMs);

  // factor × the capacity this server just showed, not the reference, for the same reason.
  const rate = Math.round(options.factor * capBefore);
  const serverCpu0 = procCpuSeconds(server.child.pid);
  const tcp0 = tcpCounters();
  const clientCpu0 = process.cpuUsage();
  const t0 = performance.now();
  const load = await ratedLoad(server.port, connections, rate, options.overloadS);
  const wallS = (performance.now() - t0) / 1000;
  const serverCpuS = procCpuSeconds(server.child.pid) - serverCpu0;
  const clientCpu = process.cpuUsage(clientCpu0);
  const tcp1 = tcpCounters();
  const probes = await prober.stop();

  const after = await serverCounts(server.port);
  const capAfter = (await warmWindow(ctx, server.port, COMPARE_AT)).okPerS;
  const okBySecond = Array.from({ length: options.overloadS }, (_, s) => load.okBySecond[s] ?? 0);
  ctx.log(`  @${connections} 200s by second: ${okBySecond.join(' ')}`);
  const { replies } = load;
  return {
    connections,
    targetRate: rate,
    answeredPerS: (replies.ok + replies.shed + replies.otherStatus) / wallS,
    okPerS: ratePerSecond(okBySecond, options.settleS, options.overloadS),
    openingOkPerS: ratePerSecond(okBySecond, options.settleS, options.settleS + options.openingS),
    okBySecond,
    pairedCapacity: (capBefore + capAfter) / 2,
    replies,
    shedByReason: Object.fromEntries(
      SHED_REASONS.map((r) => [r, after.shed[r] - before.shed[r]]),
    ) as OverloadPass['shedByReason'],
    meanBatchSize: (after.textsScored - before.textsScored) / Math.max(1, after.runs - before.runs),
    live: summarizeProbes(probes),
    tcp: {
      accepted: tcp1.accepts - tcp0.accepts,
      listenDrops: tcp1.listenDrops - tcp0.listenDrops,
    },
    cpuPct: {
      server: (100 * serverCpuS) / wallS,
      client: (100 * (clientCpu.user + clientCpu.system)) / 1e6 / wallS,
    },
  };
}

/**
 * A variant on a fresh server: closed-loop cells at each of `concurrency`, then (when
 * `overload`) one pass per connection count.
 */
export async function measureVariant(
  ctx: BenchContext,
  variant: VariantName,
  concurrency: readonly number[],
  overload: boolean,
): Promise<VariantRound> {
  const server = await startServer(ctx, variant);
  try {
    const cells: CapacityCell[] = [];
    for (const conc of concurrency) {
      const { failed, ...cell } = await warmWindow(ctx, server.port, conc);
      // 503s are allowed (shedding may refuse part of a closed loop) and counted; others are not.
      if (failed > 0) throw new Error(`${variant} at c=${conc}: ${failed} failed requests`);
      cells.push(cell);
    }
    const passes: OverloadPass[] = [];
    if (overload) {
      for (const conns of ctx.options.connections)
        passes.push(await overloadPass(ctx, server, conns));
    }
    return { cells, capacity: Math.max(0, ...cells.map((c) => c.okPerS)), passes };
  } finally {
    await stopServer(server);
  }
}

/**
 * Full against bare stack in paired windows: both servers live at once, each warmed with
 * `stackWarmS` of closed loop first (past the first mark-compact, after which a server's
 * scavenges settle at their steady cost), then `stackPairs` pairs of windows at COMPARE_AT, the
 * order alternating per pair. Each pair compares two windows seconds apart, so the machine's
 * drift between minutes cancels.
 */
export async function stackPairs(ctx: BenchContext): Promise<StackPair[]> {
  const full = await startServer(ctx, 'full-stack');
  let bare: ServerProcess | undefined;
  try {
    bare = await startServer(ctx, 'bare-stack');
    for (const server of [full, bare]) {
      await closedLoop(server.port, COMPARE_AT, ctx.options.stackWarmS);
    }
    const pairs: StackPair[] = [];
    for (let i = 0; i < ctx.options.stackPairs; i++) {
      const order = i % 2 === 0 ? [full, bare] : [bare, full];
      const okPerS = new Map<ServerProcess, number>();
      for (const server of order) {
        const r = await warmWindow(ctx, server.port, COMPARE_AT);
        if (r.failed > 0) throw new Error(`stack pairs: ${r.failed} failed requests`);
        okPerS.set(server, r.okPerS);
      }
      const pair = { full: okPerS.get(full) ?? 0, bare: okPerS.get(bare) ?? 0 };
      pairs.push(pair);
      ctx.log(
        `stack pair ${i + 1}/${ctx.options.stackPairs}: full ${Math.round(pair.full)}/s bare ${Math.round(pair.bare)}/s = ${ratio(pair.full, pair.bare).toFixed(2)}×`,
      );
    }
    return pairs;
  } finally {
    await Promise.all([full, bare].flatMap((server) => (server ? [stopServer(server)] : [])));
  }
}

/**
 * The whole run. First a reference capacity for the unsaturated maximum, reported beside the
 * paired capacity each pass is judged against: the full stack at REFERENCE_CONCURRENCY on its
 * own server. Then the interleaved rounds of every variant, then the window pairs.
 */
export async function runOverloadBench(
  ctx: BenchContext,
  onRound?: (
    round: number,
    variant: VariantName,
    result: VariantRound,
    referenceCapacity: number,
  ) => void,
): Promise<OverloadRun> {
  const calibration = await measureVariant(ctx, 'full-stack', REFERENCE_CONCURRENCY, false);
  const referenceCapacity = Math.round(calibration.capacity);
  ctx.log(`reference capacity: ${referenceCapacity} req/s`);
  const rounds = await interleaveRounds(
    ctx.options.rounds,
    Object.fromEntries(
      VARIANT_NAMES.map((v) => [
        v,
        // No passes without a reference: the service did not answer a closed loop.
        () =>
          measureVariant(
            ctx,
            v,
            CAPACITY_CONCURRENCY,
            VARIANTS[v].overload && referenceCapacity > 0,
          ),
      ]),
    ) as Record<VariantName, () => Promise<VariantRound>>,
    (round, variant, result) => onRound?.(round, variant as VariantName, result, referenceCapacity),
  );
  return {
    options: ctx.options,
    referenceCapacity,
    rounds: rounds as Record<VariantName, VariantRound[]>,
    stackPairs: await stackPairs(ctx),
  };
}
