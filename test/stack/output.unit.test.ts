import { Writable } from 'node:stream';
import test from 'ava';
import { createOutput, lineSplitter } from '../../stack/output.js';
import { formatMs, renderStackTable, type StackInfo } from '../../stack/table.js';

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => text };
}

test('stack output: off a terminal, every line is prefixed with its source and passes through as written', (t) => {
  const out = sink();
  const err = sink();
  const o = createOutput({ stdout: out.stream, stderr: err.stream, pretty: false });
  o.line('service', '{"severity":"INFO","message":"hi"}');
  o.line('sweep', 'Serving function...');
  o.line('stack', 'two\nlines', 'err');
  o.raw('table\n');
  t.is(
    out.text(),
    'service | {"severity":"INFO","message":"hi"}\nsweep   | Serving function...\ntable\n',
  );
  t.is(err.text(), 'stack   | two\nstack   | lines\n');
});

test('stack output: on a terminal, JSON lines are pretty-printed with their severity and message', (t) => {
  const out = sink();
  const o = createOutput({ stdout: out.stream, stderr: sink().stream, pretty: true });
  o.line(
    'service',
    '{"severity":"WARNING","time":"2026-11-27T12:00:00.000Z","event":"x","message":"careful"}',
  );
  o.line('service', '{not json');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: colour codes are stripped on purpose
  const plain = out.text().replace(/\x1b\[[0-9;]*m/g, '');
  t.regex(plain, /^service \| \[12:00:00\.000\] WARNING: careful \{"event":"x"\}\n/);
  t.regex(plain, /service \| \{not json\n$/);
});

test('stack output: the line splitter joins chunks split mid-line and flushes the last line at the end', (t) => {
  const lines: string[] = [];
  const s = lineSplitter((l) => lines.push(l));
  s.push('one\ntw');
  s.push('o\r\nthr');
  t.deepEqual(lines, ['one', 'two']);
  s.end();
  t.deepEqual(lines, ['one', 'two', 'thr']);
});

test('stack table: lists every URL with its note, alertTick and both scheduler jobs, the pause signal and the store file', (t) => {
  const info = (): StackInfo => ({
    serviceUrl: 'http://127.0.0.1:8080',
    sweepUrl: 'http://127.0.0.1:8081/',
    pids: { stack: 10, service: 11, sweep: 12, ingest: 13, tick: 15 },
    ingestUrl: 'http://127.0.0.1:8082/',
    tickUrl: 'http://127.0.0.1:8083/',
    tickJob: 'local-alert-tick',
    pubsub: {
      host: '127.0.0.1:40123',
      pid: 14,
      logFile: '/repo/.runwatch/pubsub-emulator.log',
      topic: 'alert-ingest',
      relay: 'http://127.0.0.1:40124/projects/runwatch-local/topics/alert-ingest',
    },
    job: 'local-health-sweep',
    intervalMs: 15_000,
    maxSilenceMs: 45_000,
    targets: [{ name: 'local', url: 'http://127.0.0.1:8080' }],
    store: 'sqlite:.runwatch/runwatch.db',
    storeFile: '/repo/.runwatch/runwatch.db',
  });
  const table = renderStackTable(info());
  for (const row of [
    /predict +POST http:\/\/127\.0\.0\.1:8080\/predict/,
    /docs +http:\/\/127\.0\.0\.1:8080\/openapi\.json/,
    /metrics +http:\/\/127\.0\.0\.1:8080\/metrics/,
    /health +http:\/\/127\.0\.0\.1:8080\/health /,
    /healthSweep +POST http:\/\/127\.0\.0\.1:8081\/ +Functions Framework, pid 12/,
    /alertIngest +POST http:\/\/127\.0\.0\.1:8082\/ +CloudEvents \(Eventarc binary mode\), pid 13/,
    /pubsub +emulator 127\.0\.0\.1:40123 +pid 14, log \/repo\/\.runwatch\/pubsub-emulator\.log/,
    /alert-ingest → push http:\/\/127\.0\.0\.1:40124\/projects\/runwatch-local\/topics\/alert-ingest \(Eventarc relay\) → alertIngest/,
    /targets +http:\/\/127\.0\.0\.1:8080 +local/,
    /alertTick +POST http:\/\/127\.0\.0\.1:8083\/ +the engine's tick; GET alerts, silences, deliveries; pid 15/,
    /scheduler +local-health-sweep every 15 s +kill -USR2 10 pauses \/ resumes the sweeps/,
    /\n +local-alert-tick every 15 s\n/,
    /heartbeat +SweeperAbsent after 45 s without a sweep +checked by alertTick/,
    /store +sqlite:\.runwatch\/runwatch\.db +\/repo\/\.runwatch\/runwatch\.db/,
  ]) {
    t.regex(table, row);
  }
  const off = renderStackTable({
    ...info(),
    pubsub: { off: 'no Pub/Sub emulator: install one' },
  });
  t.regex(
    off,
    /pubsub +off: findings go to ingest in-process \(no Pub\/Sub emulator: install one\)/,
  );
  t.deepEqual([formatMs(250), formatMs(1500), formatMs(15_000)], ['250 ms', '1.5 s', '15 s']);
});
