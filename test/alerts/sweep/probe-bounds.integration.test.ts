/**
 * The probe's bounds (issue 16, findings 1 and 13) against real HTTP servers on port 0 that
 * misbehave: endless and oversized bodies, too many samples or instances, a /health status that
 * is not one of the service's states. Every bound is that target's scrape problem, with a code.
 */
import test from 'ava';
import {
  HEALTH_BODY_LIMIT_BYTES,
  HEALTH_SAMPLE_CHARS,
  probeAll,
} from '../../../alerts/sweep/probe.js';
import { type SweepTarget, TARGET_DEFAULTS } from '../../../alerts/sweep/targets.js';
import {
  endless,
  healthStatus,
  newInstanceLine,
  padLine,
  serveTarget,
  text,
} from '../../helpers/hostile-target.js';

const LIMITS = { metricsBytes: 64 * 1024, samples: 500, instances: 4 };

function target(name: string, url: string, timeoutMs = 3000): SweepTarget {
  return {
    name,
    url,
    timeoutMs,
    iam: false,
    probes: { ...TARGET_DEFAULTS.probes },
    limits: LIMITS,
    slo: { availability: 0.995, latencyP95Ms: 500 },
  };
}

/** Resolves once `check` holds, polling every 10 ms for at most `ms`. */
async function eventually(check: () => boolean, ms = 2000): Promise<boolean> {
  const end = performance.now() + ms;
  while (!check() && performance.now() < end) await new Promise((r) => setTimeout(r, 10));
  return check();
}

const codes = (r: { problems?: readonly { probe: string; code: string }[] } | undefined) =>
  (r?.problems ?? []).map((p) => `${p.probe} ${p.code}`);

test('probe: a /metrics body past the byte limit is SCRAPE_ERR_TOO_LARGE for that target, read no further', async (t) => {
  const huge = await serveTarget({ metrics: endless(padLine(1000)) });
  try {
    const t0 = performance.now();
    const [r] = await probeAll([target('huge', huge.url)], 1);
    const elapsed = performance.now() - t0;
    t.like(r, { up: true, metrics: null });
    t.deepEqual(codes(r), ['metrics SCRAPE_ERR_TOO_LARGE']);
    t.regex(r?.problems[0]?.message ?? '', /over 65536 bytes/);
    t.is(r?.health?.status, 'healthy');
    t.true(
      elapsed < 1500,
      `stopped at the limit, not at the 3 s deadline (${Math.round(elapsed)} ms)`,
    );
    t.true(await eventually(() => huge.handlers.metrics.stats.closedEarly === 1), 'cut off');
  } finally {
    await huge.close();
  }
});

test('probe: a /metrics Content-Length past the byte limit is SCRAPE_ERR_TOO_LARGE before any body is read', async (t) => {
  const body = padLine(1000)().repeat(200);
  const declared = await serveTarget({
    metrics: text(body, { 'content-length': String(body.length) }),
  });
  try {
    const [r] = await probeAll([target('declared', declared.url)], 1);
    t.deepEqual(codes(r), ['metrics SCRAPE_ERR_TOO_LARGE']);
    t.regex(r?.problems[0]?.message ?? '', new RegExp(`Content-Length ${body.length}\\)`));
    t.is(declared.handlers.metrics.stats.requests, 1);
  } finally {
    await declared.close();
  }
});

test('probe: a /metrics body within the limit with more samples than the limit is SCRAPE_ERR_TOO_MANY_SAMPLES', async (t) => {
  const many = await serveTarget({
    metrics: text(Array.from({ length: 501 }, (_, i) => `m_${i} 1\n`).join('')),
  });
  try {
    const [r] = await probeAll([target('many', many.url)], 1);
    t.like(r, { up: true, metrics: null });
    t.deepEqual(codes(r), ['metrics SCRAPE_ERR_TOO_MANY_SAMPLES']);
    t.regex(r?.problems[0]?.message ?? '', /more than 500 samples/);
  } finally {
    await many.close();
  }
});

test('probe: a scrape naming more distinct instances than the limit is SCRAPE_ERR_TOO_MANY_INSTANCES, read no further', async (t) => {
  const instances = await serveTarget({ metrics: endless(newInstanceLine) });
  try {
    const [r] = await probeAll([target('instances', instances.url)], 1);
    t.like(r, { up: true, metrics: null });
    t.deepEqual(codes(r), ['metrics SCRAPE_ERR_TOO_MANY_INSTANCES']);
    t.regex(r?.problems[0]?.message ?? '', /more than 4 instances/);
    t.true(await eventually(() => instances.handlers.metrics.stats.closedEarly === 1), 'cut off');
  } finally {
    await instances.close();
  }
});

test('probe: a /metrics body at the limits is scraped in full', async (t) => {
  const lines = Array.from({ length: 500 }, (_, i) => `m_${i}{instance="i${i % 4}"} ${i}\n`);
  const body = lines.join('').padEnd(LIMITS.metricsBytes, '#');
  const full = await serveTarget({ metrics: text(body) });
  try {
    const [r] = await probeAll([target('full', full.url)], 1);
    t.deepEqual(codes(r), []);
    t.is(r?.metrics?.exposition.samples.length, 500);
  } finally {
    await full.close();
  }
});

test('probe: a /health status outside the known states is unknown, with a sample of its first characters', async (t) => {
  const odd = await serveTarget({ health: healthStatus(`SUPER_HEALTHY${'!'.repeat(5000)}`) });
  try {
    const [r] = await probeAll([target('odd', odd.url)], 1);
    t.is(r?.health?.status, 'unknown');
    t.is(r?.health?.sample?.length, HEALTH_SAMPLE_CHARS);
    t.true(r?.health?.sample?.startsWith('SUPER_HEALTHY!!!'));
    t.deepEqual(codes(r), ['health SCRAPE_ERR_HEALTH_UNKNOWN']);
    t.true((r?.problems[0]?.message.length ?? 0) < 200, 'the message carries the sample only');
  } finally {
    await odd.close();
  }
});

test('probe: every state the service reports on /health is kept as it is', async (t) => {
  const states = ['healthy', 'degraded', 'unhealthy', 'draining'];
  const servers = await Promise.all(
    states.map((s) =>
      serveTarget({ health: healthStatus(s, s === 'healthy' || s === 'degraded' ? 200 : 503) }),
    ),
  );
  try {
    const results = await probeAll(
      servers.map((s, i) => target(`s${i}`, s.url)),
      4,
    );
    t.deepEqual(
      results.map((r) => [r.health?.status, r.problems.length]),
      states.map((s) => [s, 0]),
    );
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
});

test('probe: a /health body past its limit is SCRAPE_ERR_TOO_LARGE and no status is read from it', async (t) => {
  const big = await serveTarget({ health: healthStatus('x'.repeat(5 * 1024 * 1024)) });
  try {
    const [r] = await probeAll([target('big-health', big.url)], 1);
    t.like(r, { up: true, health: null });
    t.deepEqual(codes(r), ['health SCRAPE_ERR_TOO_LARGE']);
    t.regex(r?.problems[0]?.message ?? '', new RegExp(`over ${HEALTH_BODY_LIMIT_BYTES} bytes`));
  } finally {
    await big.close();
  }
});

test('probe: /metrics that is not Prometheus text and /health that is not JSON are SCRAPE_ERR_INVALID', async (t) => {
  const junk = await serveTarget({
    health: text('<html>hello</html>', { 'content-type': 'text/html' }),
    metrics: text('<html>hello</html>', { 'content-type': 'text/html' }),
  });
  try {
    const [r] = await probeAll([target('junk', junk.url)], 1);
    t.like(r, { up: true, health: null, metrics: null });
    t.deepEqual(codes(r), ['health SCRAPE_ERR_INVALID', 'metrics SCRAPE_ERR_INVALID']);
  } finally {
    await junk.close();
  }
});

test('probe: /metrics answering 401 is SCRAPE_ERR_UNREADABLE naming the status', async (t) => {
  const locked = await serveTarget({ metrics: text('no', { 'content-type': 'text/plain' }, 401) });
  try {
    const [r] = await probeAll([target('locked', locked.url)], 1);
    t.deepEqual(codes(r), ['metrics SCRAPE_ERR_UNREADABLE']);
    t.is(r?.problems[0]?.message, 'metrics answered HTTP 401');
  } finally {
    await locked.close();
  }
});
