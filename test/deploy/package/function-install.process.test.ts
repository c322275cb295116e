/**
 * A packaged function deploys as Cloud Functions gen2 builds it from source: `npm ci --omit=dev`
 * of the deploy directory's own package.json and lock, then the Functions Framework from that
 * install serves the target. Here alertTick, with a PostgreSQL store (what deployed functions
 * use), answers a tick and the admin API, and the install holds neither onnxruntime-node nor
 * better-sqlite3. The npm registry is the real one.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { DATABASE_URL, REQUIRE_POSTGRES, scratchSchemas } from '../../helpers/postgres.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CLI = join(ROOT, 'build/deploy/cli/package.js');
const pg = await scratchSchemas(DATABASE_URL, 'runwatch_test');
const out = mkdtempSync(join(tmpdir(), 'runwatch-fn-install-'));
const dir = join(out, 'alertTick');
const children: ChildProcess[] = [];

test.after.always(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(out, { recursive: true, force: true });
  await pg.dropSchemas();
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (pg.unavailable !== null && !REQUIRE_POSTGRES) {
  test('packaged alertTick: SKIPPED, no PostgreSQL', (t) => {
    t.log(`SKIPPED: ${pg.unavailable}`);
    t.pass();
  });
} else {
  test.serial(
    'packaged alertTick: npm ci --omit=dev of its own lock installs no onnxruntime-node nor better-sqlite3, and it serves a tick and the admin API from PostgreSQL',
    async (t) => {
      t.timeout(240_000);
      if (pg.unavailable !== null) return t.fail(pg.unavailable);

      const packaged = spawnSync(process.execPath, [CLI, '--out', out, 'alertTick'], {
        encoding: 'utf8',
      });
      t.is(packaged.status, 0, packaged.stderr);
      t.regex(
        packaged.stdout,
        /^alertTick → .*: \d+ modules, \d+ dependencies .* left out: build\/alerts\/store\/sqlite-engine\.js/m,
      );

      const started = performance.now();
      const install = spawnSync(
        'npm',
        ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'],
        {
          cwd: dir,
          encoding: 'utf8',
          timeout: 200_000,
        },
      );
      t.is(install.status, 0, `${install.stdout}\n${install.stderr}`);
      t.log(
        `npm ci --omit=dev in the alertTick package: ${Math.round(performance.now() - started)} ms`,
      );
      for (const absent of ['onnxruntime-node', 'better-sqlite3', 'typescript', 'ava', 'fastify'])
        t.false(existsSync(join(dir, 'node_modules', absent)), `node_modules/${absent}`);
      for (const present of ['pg', '@google-cloud/functions-framework'])
        t.true(existsSync(join(dir, 'node_modules', present)), `node_modules/${present}`);

      const schema = pg.newSchema();
      await pg.withClient(null, (c) => c.query(`CREATE SCHEMA ${schema}`));
      const url = new URL(DATABASE_URL);
      url.searchParams.set('options', `-c search_path=${schema}`);
      const port = await freePort();
      // Cloud Run's view: K_SERVICE set, so only a postgres:// STORE_URL is accepted and the
      // platform's IAM guards the function.
      const ff = spawn(
        join(dir, 'node_modules/.bin/functions-framework'),
        ['--target=alertTick', `--port=${port}`],
        {
          cwd: dir,
          env: {
            PATH: process.env.PATH ?? '',
            K_SERVICE: 'alerttick',
            FUNCTION_TARGET: 'alertTick',
            SWEEP_IAM_GUARDED: 'true',
            ALERTS_PUBSUB: 'off',
            METADATA_SERVER_DETECTION: 'none',
            GOOGLE_CLOUD_PROJECT: 'runwatch-test',
            STORE_URL: url.toString(),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      children.push(ff);
      let output = '';
      ff.stdout?.on('data', (c: Buffer) => {
        output += c.toString();
      });
      ff.stderr?.on('data', (c: Buffer) => {
        output += c.toString();
      });
      const base = `http://127.0.0.1:${port}`;
      let alerts: Response | undefined;
      for (let i = 0; i < 200 && ff.exitCode === null && alerts === undefined; i++) {
        alerts = await fetch(`${base}/alerts`).catch(() => undefined);
        if (alerts === undefined) await sleep(100);
      }
      t.is(alerts?.status, 200, output);
      t.deepEqual(await alerts?.json(), { alerts: [], truncated: false });

      const tick = await fetch(`${base}/`, { method: 'POST' });
      t.is(tick.status, 200, output);
      const report = (await tick.json()) as {
        failed: Record<string, unknown>;
        deliveries: unknown;
      };
      t.deepEqual(report.failed, {});

      const created = await fetch(`${base}/silences`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          matchers: ['target="prod"'],
          endsAt: new Date(Date.now() + 3_600_000).toISOString(),
          createdBy: 'package-test',
          comment: 'from the packaged function',
        }),
      });
      t.is(created.status, 201, output);
      const silence = (await created.json()) as { id: string };
      const rows = await pg.withClient(schema, (c) =>
        c.query<{ id: string }>('SELECT id FROM engine_silences WHERE created_by = $1', [
          'package-test',
        ]),
      );
      t.deepEqual(
        rows.rows.map((r) => r.id),
        [silence.id],
      );

      ff.kill('SIGTERM');
      await new Promise((r) => ff.once('close', r));

      // The same install refuses a SQLite store plainly: the module is not there.
      const sqlite = spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          "const { openStores } = await import('./build/alerts/store/open.js'); try { await openStores('sqlite::memory:', { platform: 'local' }); } catch (e) { console.log(e.code); }",
        ],
        { cwd: dir, encoding: 'utf8' },
      );
      t.is(sqlite.stdout.trim(), 'STORE_ERR_DIALECT_UNAVAILABLE', sqlite.stderr);
    },
  );
}
