/**
 * A body the Functions Framework cannot parse is refused by its Express before our handler runs,
 * so what the caller sees depends on NODE_ENV alone: outside production Express sends the stack
 * trace (paths, versions), under NODE_ENV=production only the status text. The deploy sets
 * NODE_ENV=production on every function (test/deploy/plan/plan.unit.test.ts); this holds the
 * framework to why.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const SOURCE = fileURLToPath(new URL('../../functions/index.js', import.meta.url));
const FF = fileURLToPath(
  new URL(
    '../../../node_modules/@google-cloud/functions-framework/build/src/main.js',
    import.meta.url,
  ),
);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function serve(
  env: Record<string, string>,
): Promise<{ url: string; child: ChildProcess; dir: string }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'runwatch-ff-'));
  const child = spawn(
    process.execPath,
    [FF, `--source=${SOURCE}`, '--target=alertTick', `--port=${port}`],
    {
      env: {
        PATH: process.env.PATH ?? '',
        METADATA_SERVER_DETECTION: 'none',
        STORE_URL: `sqlite:${join(dir, 'store.db')}`,
        ...env,
      },
      stdio: 'ignore',
    },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      await fetch(`${url}/silences`);
      return { url, child, dir };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  child.kill('SIGKILL');
  throw new Error('alertTick did not start');
}

async function malformed(env: Record<string, string>): Promise<{ status: number; body: string }> {
  const { url, child, dir } = await serve(env);
  try {
    const res = await fetch(`${url}/silences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{bad',
    });
    return { status: res.status, body: await res.text() };
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

test('functions: under NODE_ENV=production a malformed JSON body is 400 without a stack trace', async (t) => {
  const r = await malformed({ NODE_ENV: 'production' });
  t.is(r.status, 400);
  t.regex(r.body, /Bad Request/);
  t.notRegex(r.body, /JSON\.parse|node_modules|SyntaxError/);
});

test('functions: without NODE_ENV the framework would send the stack trace, which is why the deploy sets it', async (t) => {
  const r = await malformed({});
  t.is(r.status, 400);
  t.regex(r.body, /node_modules/);
});
