import test from 'ava';
import { ConfigError, loadStackConfig } from '../../stack/config.js';

test('stack config: defaults are the service on 8080, healthSweep on 8081, alertIngest on 8082, alertTick on 8083, a sweep every 15 s, SweeperAbsent after 45 s, the SQLite default store', (t) => {
  const c = loadStackConfig({});
  t.like(c, {
    port: 8080,
    sweepPort: 8081,
    ingestPort: 8082,
    tickPort: 8083,
    host: '127.0.0.1',
    sweepIntervalMs: 15_000,
    maxSilenceMs: 45_000,
    storeUrl: 'sqlite:.runwatch/runwatch.db',
    sweepTargets: undefined,
    platform: 'local',
  });
  t.regex(c.serviceEntry, /service[/\\]main\.js$/);
});

const intervals = [
  { raw: '15', ms: 15_000 },
  { raw: '15s', ms: 15_000 },
  { raw: '15000ms', ms: 15_000 },
  { raw: '0.25m', ms: 15_000 },
  { raw: '1.5', ms: 1_500 },
  { raw: ' 2 s ', ms: 2_000 },
] as const;

for (const row of intervals) {
  test(`stack config: LOCAL_SWEEP_INTERVAL=${JSON.stringify(row.raw)} is ${row.ms} ms and SweeperAbsent waits three intervals`, (t) => {
    const c = loadStackConfig({ LOCAL_SWEEP_INTERVAL: row.raw });
    t.is(c.sweepIntervalMs, row.ms);
    t.is(c.maxSilenceMs, 3 * row.ms);
  });
}

const bad = [
  {
    name: 'a word interval',
    env: { LOCAL_SWEEP_INTERVAL: 'often' },
    variable: 'LOCAL_SWEEP_INTERVAL',
    expected: /a duration from 100 ms/,
  },
  {
    name: 'an interval in hours',
    env: { LOCAL_SWEEP_INTERVAL: '1h' },
    variable: 'LOCAL_SWEEP_INTERVAL',
    expected: /15s, 15000ms, 1m/,
  },
  {
    name: 'a 50 ms interval',
    env: { LOCAL_SWEEP_INTERVAL: '50ms' },
    variable: 'LOCAL_SWEEP_INTERVAL',
    expected: /from 100 ms/,
  },
  {
    name: 'a negative interval',
    env: { LOCAL_SWEEP_INTERVAL: '-5' },
    variable: 'LOCAL_SWEEP_INTERVAL',
    expected: /a duration/,
  },
  {
    name: 'a max silence not longer than the interval',
    env: { LOCAL_SWEEP_INTERVAL: '10', SWEEPER_MAX_SILENCE: '10s' },
    variable: 'SWEEPER_MAX_SILENCE',
    expected: /longer than LOCAL_SWEEP_INTERVAL \(10000 ms\)/,
  },
  {
    name: 'a port above 65535',
    env: { PORT: '70000' },
    variable: 'PORT',
    expected: /an integer from 0 to 65535/,
  },
  {
    name: 'a port that is not a number',
    env: { SWEEP_PORT: 'eighty' },
    variable: 'SWEEP_PORT',
    expected: /an integer from 0 to 65535/,
  },
  {
    name: 'the same port twice',
    env: { PORT: '9000', SWEEP_PORT: '9000' },
    variable: 'SWEEP_PORT',
    expected: /a port other than PORT \(9000\)/,
  },
  {
    name: 'a tick port equal to the ingest port',
    env: { TICK_PORT: '8082' },
    variable: 'TICK_PORT',
    expected: /a port other than PORT \(8080\), SWEEP_PORT \(8081\) and INGEST_PORT \(8082\)/,
  },
  {
    name: 'a tick port equal to the service port',
    env: { PORT: '9001', TICK_PORT: '9001' },
    variable: 'TICK_PORT',
    expected: /a port other than PORT \(9001\), SWEEP_PORT/,
  },
  {
    name: 'a tick port above 65535',
    env: { TICK_PORT: '65536' },
    variable: 'TICK_PORT',
    expected: /an integer from 0 to 65535/,
  },
  {
    name: 'an unknown log level',
    env: { LOG_LEVEL: 'loud' },
    variable: 'LOG_LEVEL',
    expected: /one of trace, debug/,
  },
] as const;

for (const row of bad) {
  test(`stack config: ${row.name} is refused, naming ${row.variable}, its value and the expectation`, (t) => {
    const e = t.throws(() => loadStackConfig(row.env), { instanceOf: ConfigError });
    const problem = e?.problems.find((p) => p.variable === row.variable);
    t.truthy(problem, e?.message);
    t.is(problem?.value, (row.env as Record<string, string>)[row.variable]);
    t.regex(problem?.expected ?? '', row.expected);
  });
}

test('stack config: ports of 0 are allowed together (each picks a free port)', (t) => {
  t.like(loadStackConfig({ PORT: '0', SWEEP_PORT: '0', INGEST_PORT: '0', TICK_PORT: '0' }), {
    port: 0,
    sweepPort: 0,
    ingestPort: 0,
    tickPort: 0,
  });
});

test('stack config: STORE_URL is never echoed in a problem, SWEEP_TARGETS is kept as given', (t) => {
  const c = loadStackConfig({ SWEEP_TARGETS: '[{"name":"a","url":"http://x"}]' });
  t.is(c.sweepTargets, '[{"name":"a","url":"http://x"}]');
  t.is(loadStackConfig({ SWEEP_TARGETS: '  ' }).sweepTargets, undefined);
  const e = t.throws(() => loadStackConfig({ STORE_URL: ' ' }), { instanceOf: ConfigError });
  t.is(e?.problems[0]?.value, '[redacted]');
});
