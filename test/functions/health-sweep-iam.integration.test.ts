/**
 * ID tokens for IAM targets, through the real healthSweep function and real HTTP targets that
 * record each request's Authorization header. GCP's metadata server, which issues the tokens in
 * production (GoogleAuth.getIdTokenClient), cannot run here: the token source is a test double
 * (test double: ID token source).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ff from '@google-cloud/functions-framework';
import test from 'ava';
import { createHealthSweep } from '../../functions/health-sweep.js';
import { serveFunction } from '../helpers/ff-server.js';
import { sinkLogger } from '../helpers/log-sink.js';
import { startSweepTarget } from '../helpers/sweep-target.js';

test('healthSweep: an iam target is probed with a bearer ID token for its origin, a plain target without one, and a failed token marks only its target down (test double: ID token source)', async (t) => {
  const shared = await startSweepTarget();
  const other = await startSweepTarget();
  const dir = mkdtempSync(join(tmpdir(), 'runwatch-iam-'));
  const targetsFile = join(dir, 'targets.yaml');
  writeFileSync(
    targetsFile,
    [
      'targets:',
      `  - {name: plain, url: "${shared.url}/plain", probes: {metrics: null}}`,
      `  - {name: locked, url: "${shared.url}/locked", iam: true, probes: {metrics: null}}`,
      `  - {name: no-token, url: "${other.url}/x", iam: true}`,
      '',
    ].join('\n'),
  );
  const asked: string[] = [];
  const idTokens = async (audience: string) => {
    asked.push(audience);
    if (audience === other.url) throw new Error('metadata server answered 404 for this audience');
    return `id-token-for-${audience}`;
  };
  const logs = sinkLogger('info');
  const fn = createHealthSweep({
    env: {
      STORE_URL: `sqlite:${join(dir, 'trends.db')}`,
      SWEEP_TARGETS_FILE: targetsFile,
    },
    idTokens,
    log: logs.log,
  });
  ff.http('healthSweepIam', fn);
  const server = await serveFunction('healthSweepIam');
  try {
    const res = await fetch(server.url, { method: 'POST' });
    t.is(res.status, 200);
    const body = (await res.json()) as {
      targets: { name: string; up: boolean; status: number | null }[];
    };
    t.like(body.targets, [
      { name: 'plain', up: true, status: 200 },
      { name: 'locked', up: true, status: 200 },
      { name: 'no-token', up: false, status: null },
    ]);
    const byPrefix = (prefix: string) => shared.requests.filter((r) => r.path.startsWith(prefix));
    t.deepEqual(
      byPrefix('/locked/').map((r) => [r.path, r.authorization]),
      [
        ['/locked/health/live', `Bearer id-token-for-${shared.url}`],
        ['/locked/health', `Bearer id-token-for-${shared.url}`],
      ],
    );
    t.deepEqual(
      byPrefix('/plain/').map((r) => [r.path, r.authorization]),
      [
        ['/plain/health/live', undefined],
        ['/plain/health', undefined],
      ],
    );
    t.is(other.requests.length, 0, 'a target without a token is not probed');
    t.is(
      logs.lines.find((l) => l.event === 'sweep.probe' && l.target === 'no-token')?.error,
      `not probed: no ID token for audience ${other.url}: metadata server answered 404 for this audience`,
    );
    t.deepEqual(asked.sort(), [other.url, shared.url].sort());
  } finally {
    await server.close();
    await fn.close();
    await shared.close();
    await other.close();
  }
});
