/**
 * The emulator launcher against the real emulator (its start, its stop, a taken port, a parent
 * that dies), and, for the two failures the real emulator cannot be made to show on demand, a
 * shell script in its place that exits at once or never gets ready.
 */
import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { startPubSubEmulator } from '../../stack/pubsub-emulator.js';
import {
  EMULATOR_ERR_EXITED,
  EMULATOR_ERR_NOT_READY,
  EMULATOR_ERR_PORT_IN_USE,
  EmulatorError,
} from '../../stack/pubsub-errors.js';
import { emulatorClient, needsEmulatorBinary } from '../helpers/pubsub-emulator.js';
import { alive } from '../helpers/stack-process.js';

const PARENT_FIXTURE = fileURLToPath(
  new URL('../fixtures/pubsub-emulator-parent.js', import.meta.url),
);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Pids of running processes whose command line has `--port=<port>`. */
function emulatorsOnPort(port: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (cmd.includes(`--port=${port}`) && alive(Number(entry))) pids.push(Number(entry));
    } catch {
      // Gone while listing.
    }
  }
  return pids;
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (!alive(pid)) return true;
    await sleep(50);
  }
  return !alive(pid);
}

function script(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'runwatch-fake-emulator-'));
  const path = join(dir, 'cloud-pubsub-emulator');
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

test('pubsub emulator: starts on a free port, carries a published message to a subscriber, and stop() leaves no JVM', async (t) => {
  const bin = needsEmulatorBinary(t);
  if (bin === null) return;
  const emulator = await startPubSubEmulator({ bin, env: process.env });
  t.log(`ready in ${emulator.startMs} ms on ${emulator.host}`);
  try {
    t.regex(emulator.host, /^127\.0\.0\.1:\d+$/);
    t.is(readFileSync(`/proc/${emulator.pid}/comm`, 'utf8').trim(), 'java', 'the pid is the JVM');
    const client = emulatorClient(emulator, 'launcher-test');
    const [topic] = await client.createTopic('launcher-topic');
    const [subscription] = await topic.createSubscription('launcher-sub');
    const received = new Promise<{ data: string; attributes: Record<string, string> }>(
      (resolve) => {
        subscription.on('message', (m) => {
          m.ack();
          resolve({ data: m.data.toString(), attributes: m.attributes });
        });
      },
    );
    await topic.publishMessage({ data: Buffer.from('hello'), attributes: { k: 'v' } });
    t.deepEqual(await received, { data: 'hello', attributes: { k: 'v' } });
    await subscription.close();
    await client.close();
  } finally {
    const exit = await emulator.stop();
    t.log(`stopped: ${JSON.stringify(exit)}`);
  }
  t.false(alive(emulator.pid), 'the JVM is gone');
  t.deepEqual(emulatorsOnPort(emulator.port), []);
});

test('pubsub emulator: a taken port fails with EMULATOR_ERR_PORT_IN_USE and leaves no JVM', async (t) => {
  const bin = needsEmulatorBinary(t);
  if (bin === null) return;
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const { port } = holder.address() as net.AddressInfo;
  try {
    const e = await t.throwsAsync(startPubSubEmulator({ bin, env: process.env, port }), {
      instanceOf: EmulatorError,
    });
    t.is(e?.code, EMULATOR_ERR_PORT_IN_USE);
    t.true(e?.message.includes(`could not bind 127.0.0.1:${port}`), e?.message);
    t.deepEqual(emulatorsOnPort(port), [], 'no JVM is left on the port');
  } finally {
    holder.close();
  }
});

test('pubsub emulator: a parent killed with SIGKILL takes its JVM with it (setpriv --pdeathsig)', async (t) => {
  const bin = needsEmulatorBinary(t);
  if (bin === null) return;
  if (!(process.env.PATH ?? '').split(':').some((d) => existsSync(join(d, 'setpriv')))) {
    t.log('SKIPPED: no setpriv on PATH (util-linux); without it a dead parent leaves its JVM');
    t.pass();
    return;
  }
  const parent = spawn(process.execPath, [PARENT_FIXTURE, bin], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    parent.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0] as string);
    });
    parent.once('exit', (code) => reject(new Error(`the parent exited (${code}) before ready`)));
  });
  const { pid } = JSON.parse(line) as { pid: number };
  t.true(alive(pid), 'the JVM runs while its parent does');
  parent.kill('SIGKILL');
  t.true(await waitGone(pid, 5000), `JVM ${pid} still runs 5 s after its parent was killed`);
});

test('pubsub emulator: a launcher that exits before it is ready is EMULATOR_ERR_EXITED with its exit code and last log lines (a shell script in its place)', async (t) => {
  const bin = script(
    'echo "ERROR: JAVA_HOME is set to an invalid directory: /opt/none" >&2\nexit 3',
  );
  const e = await t.throwsAsync(startPubSubEmulator({ bin, env: process.env }), {
    instanceOf: EmulatorError,
  });
  t.is(e?.code, EMULATOR_ERR_EXITED);
  t.true(e?.message.includes('(code 3)'), e?.message);
  t.true(e?.message.includes('JAVA_HOME is set to an invalid directory'), e?.message);
});

test('pubsub emulator: one that never logs its ready line is stopped at the deadline as EMULATOR_ERR_NOT_READY (a shell script in its place)', async (t) => {
  const pidFile = join(mkdtempSync(join(tmpdir(), 'runwatch-fake-emulator-')), 'pid');
  const bin = script(
    `echo $$ > ${pidFile}\necho "This is the Google Pub/Sub fake."\nexec sleep 60`,
  );
  const began = performance.now();
  const e = await t.throwsAsync(
    startPubSubEmulator({ bin, env: process.env, startTimeoutMs: 500 }),
    { instanceOf: EmulatorError },
  );
  t.is(e?.code, EMULATOR_ERR_NOT_READY);
  t.true(e?.message.includes('within 500 ms'), e?.message);
  t.true(e?.message.includes('This is the Google Pub/Sub fake.'), e?.message);
  t.true(performance.now() - began < 5000, 'given up at the deadline, not later');
  t.false(alive(Number(readFileSync(pidFile, 'utf8'))), 'the process was stopped');
});
