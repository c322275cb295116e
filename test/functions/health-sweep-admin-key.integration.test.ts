/**
 * A target's admin key by reference (issue 16, finding 4), through the real healthSweep function
 * on the real Functions Framework, against the real service with `/metrics` behind its admin key
 * (the production default), and a real SQLite store: with the key the scrape is stored, without
 * it the target's metrics are a finding of their own, and a reference that does not resolve costs
 * only that target its metrics, naming the reference and never a value.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ff from '@google-cloud/functions-framework';
import test from 'ava';
import Database from 'better-sqlite3';
import { createHealthSweep } from '../../functions/health-sweep.js';
import { serveFunction } from '../helpers/ff-server.js';
import { sinkLogger } from '../helpers/log-sink.js';
import { buildTestApp } from '../helpers/test-app.js';

const ADMIN = 'admin-key-for-the-sweeper-0123456789';

test('healthSweep: a target whose admin_key names a variable or a file is scraped with that key; without one /metrics is SCRAPE_ERR_UNREADABLE; an unresolved reference is SCRAPE_ERR_CREDENTIAL naming it', async (t) => {
  const service = await buildTestApp({ ADMIN_API_KEYS: ADMIN, METRICS_PUBLIC: 'false' });
  const url = await service.listen();
  const dir = mkdtempSync(join(tmpdir(), 'runwatch-admin-key-'));
  const keyFile = join(dir, 'admin-key');
  writeFileSync(keyFile, `${ADMIN}\n`);
  const targetsFile = join(dir, 'targets.yaml');
  writeFileSync(
    targetsFile,
    [
      'targets:',
      `  - {name: by-env, url: "${url}", admin_key: {env: INFER_ADMIN_KEY}}`,
      `  - {name: by-file, url: "${url}", admin_key: {file: "${keyFile}"}}`,
      `  - {name: no-key, url: "${url}"}`,
      `  - {name: unset, url: "${url}", admin_key: {env: NOT_SET_ADMIN_KEY}}`,
      `  - {name: no-file, url: "${url}", admin_key: {file: "${join(dir, 'missing')}"}}`,
      '',
    ].join('\n'),
  );
  const storeFile = join(dir, 'trends.db');
  const logs = sinkLogger('info');
  const fn = createHealthSweep({
    env: {
      STORE_URL: `sqlite:${storeFile}`,
      SWEEP_TARGETS_FILE: targetsFile,
      INFER_ADMIN_KEY: ADMIN,
    },
    log: logs.log,
  });
  ff.http('healthSweepAdminKey', fn);
  const server = await serveFunction('healthSweepAdminKey');
  try {
    // One request, so /metrics holds request counters to scrape.
    const predicted = await fetch(`${url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'a fine day' }),
    });
    t.is(predicted.status, 200);
    const res = await fetch(server.url, { method: 'POST' });
    t.is(res.status, 200);
    const body = (await res.json()) as {
      targets: { name: string; up: boolean; scrape: string[] }[];
      findings: { alertname: string; target: string; summary: string }[];
    };
    t.deepEqual(
      body.targets.map((x) => [x.name, x.up, x.scrape]),
      [
        ['by-env', true, []],
        ['by-file', true, []],
        ['no-key', true, ['SCRAPE_ERR_UNREADABLE']],
        ['unset', true, ['SCRAPE_ERR_CREDENTIAL']],
        ['no-file', true, ['SCRAPE_ERR_CREDENTIAL']],
      ],
    );
    const scrapeFailed = (target: string) =>
      body.findings.find((f) => f.alertname === 'ScrapeFailed' && f.target === target)?.summary;
    t.regex(scrapeFailed('no-key') ?? '', /HTTP 401/);
    t.regex(scrapeFailed('unset') ?? '', /admin_key \{env: NOT_SET_ADMIN_KEY\}: .*unset or empty/);
    t.regex(scrapeFailed('no-file') ?? '', /admin_key \{file: .*missing\}: .*ENOENT/);
    t.is(scrapeFailed('by-env'), undefined);

    // Only a keyed scrape stores the counters the burn-rate rules read.
    const db = new Database(storeFile, { readonly: true });
    const withCounters = db
      .prepare('SELECT DISTINCT target FROM counter_state ORDER BY target')
      .all()
      .map((r) => (r as { target: string }).target);
    db.close();
    t.deepEqual(withCounters, ['by-env', 'by-file']);
    const everything = logs.lines.map((l) => JSON.stringify(l)).join('\n');
    t.false(everything.includes(ADMIN), 'the key is never logged');
    t.false(JSON.stringify(body).includes(ADMIN), 'nor answered');
  } finally {
    await server.close();
    await fn.close();
    await service.app.close();
  }
});
