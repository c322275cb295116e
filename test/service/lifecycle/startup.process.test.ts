/**
 * What only a real process shows: the instance id the service builds from K_REVISION at start,
 * on every response and every /metrics series (process default metrics included); API keys read
 * from API_KEYS_FILE; and the production preset refusing to start without authentication.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { type LogLine, request, startChild, tinyModelDir } from '../../helpers/child-service.js';
import { parseSamples } from '../../helpers/prom-text.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/drain-service.js', import.meta.url));
const REVISION = 'runwatch-00042-abc';

test('instance: each process answers X-Instance-Id K_REVISION-<8 hex>, and every /metrics series, process metrics included, carries it as instance', async (t) => {
  const children = await Promise.all(
    [0, 1].map(() => startChild({ K_REVISION: REVISION, METRICS_PUBLIC: 'true' })),
  );
  try {
    const ids: string[] = [];
    for (const svc of children) {
      const live = await request(svc.port, '/health/live');
      const id = String(live.headers?.['x-instance-id']);
      t.regex(id, new RegExp(`^${REVISION}-[0-9a-f]{8}$`));
      const predicted = await request(svc.port, '/predict', { body: { text: 'hello' } });
      t.is(predicted.status, 200);
      t.is(predicted.headers?.['x-instance-id'], id, 'the same id on every response');

      const scrape = await request(svc.port, '/metrics');
      t.is(scrape.status, 200);
      t.is(scrape.headers?.['x-instance-id'], id);
      const samples = parseSamples(scrape.body ?? '');
      const names = new Set(samples.map((s) => s.name));
      for (const name of [
        'process_cpu_user_seconds_total',
        'process_resident_memory_bytes',
        'nodejs_eventloop_lag_seconds',
        'nodejs_heap_size_used_bytes',
        'http_requests_total',
        'predictions_total',
      ]) {
        t.true(names.has(name), `${name} is exposed`);
      }
      const foreign = samples.filter((s) => s.labels.instance !== id);
      t.deepEqual(
        foreign.map((s) => `${s.name}{instance=${s.labels.instance}}`),
        [],
        'every series carries this process’s id',
      );
      ids.push(id);
    }
    t.not(ids[0], ids[1], 'two processes of one revision have different ids');
  } finally {
    for (const svc of children) svc.kill('SIGKILL');
  }
});

test('startup: keys from API_KEYS_FILE authenticate /predict in a running service, and a key not in the file is 401', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'runwatch-keys-'));
  const file = join(dir, 'api-keys');
  const key = 'file-key-0123456789abcdef';
  await writeFile(file, `${key}\nsecond-key-0123456789abcdef\n`);
  const svc = await startChild({ AUTH_MODE: 'api-key', API_KEYS_FILE: file });
  try {
    const ok = await request(svc.port, '/predict', {
      body: { text: 'hello' },
      headers: { 'x-api-key': key },
    });
    t.is(ok.status, 200);
    const wrong = await request(svc.port, '/predict', {
      body: { text: 'hello' },
      headers: { 'x-api-key': 'not-in-the-file-0123456789' },
    });
    t.is(wrong.status, 401);
    t.is(JSON.parse(wrong.body ?? '{}').error?.code, 'SVC_ERR_UNAUTHENTICATED');
  } finally {
    svc.kill('SIGKILL');
  }
});

test('startup: the production preset refuses AUTH_MODE=none: exit 78 with a config.invalid line naming AUTH_MODE, never listening', async (t) => {
  const child = spawn(process.execPath, [FIXTURE], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      ENVIRONMENT: 'production',
      AUTH_MODE: 'none',
      ADMIN_API_KEYS: 'admin-key-0123456789abcdef',
      MODEL_PATH: await tinyModelDir(),
      LOG_PRETTY: 'false',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    new Promise<number | null>((resolve) => child.once('exit', resolve)),
    new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve('still running after 15 s'), 15_000);
    }),
  ]).finally(() => {
    clearTimeout(timer);
    child.kill('SIGKILL');
  });
  const lines = out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as LogLine);
  t.is(code, 78);
  const invalid = lines.filter((l) => l.event === 'config.invalid');
  t.true(
    invalid.some((l) => l.variable === 'AUTH_MODE' && l.value === 'none'),
    JSON.stringify(invalid),
  );
  t.false(
    lines.some((l) => l.event === 'server.listening'),
    'it never listened',
  );
});
