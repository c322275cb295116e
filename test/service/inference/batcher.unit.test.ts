/**
 * The micro-batcher over the real tiny ONNX model, seen through the RecordingModel wrapper (which
 * records each run's input and can hold or fail a run on cue).
 */
import test from 'ava';
import fc from 'fast-check';
import { ServiceError } from '../../../service/errors.js';
import {
  type BatcherOptions,
  MicroBatcher,
  type RunRecord,
} from '../../../service/inference/batcher.js';
import { RecordingModel } from '../../helpers/recording-model.js';
import { sharedTinyModel } from '../../helpers/test-app.js';

const OPTIONS: BatcherOptions = { maxBatchSize: 32, maxBatchDelayMs: 2, maxQueueDepth: 256 };

async function setup(options: Partial<BatcherOptions> = {}) {
  const inner = await sharedTinyModel();
  const recording = new RecordingModel(inner);
  const runs: RunRecord[] = [];
  const batcher = new MicroBatcher(
    recording,
    { ...OPTIONS, ...options },
    { onRun: (r) => runs.push(r) },
  );
  return { inner, recording, batcher, runs };
}

const texts = (n: number, prefix = 'text') => Array.from({ length: n }, (_, i) => `${prefix} ${i}`);

test('batcher: texts queued in the same turn share one run, recorded (recording wrapper)', async (t) => {
  const { recording, batcher } = await setup();
  const results = await Promise.all(texts(10).map((text) => batcher.score([text])));
  t.is(recording.runs.length, 1);
  t.deepEqual(recording.runs[0], texts(10));
  t.is(results.length, 10);
  t.is(batcher.stats().meanBatchSize, 10);
});

test('batcher: each text gets its own row, equal to scoring it alone', async (t) => {
  const { inner, batcher } = await setup();
  const input = ['I am so happy today', 'this is awful', '🙂', 'why would you do that?!'];
  const batched = await Promise.all(input.map((text) => batcher.score([text])));
  for (const [i, text] of input.entries()) {
    const [alone] = await inner.predict([text]);
    t.deepEqual(batched[i]?.[0], alone, text);
  }
});

test('batcher: a 100-text request runs in batches of at most 32 (recording wrapper)', async (t) => {
  const { recording, batcher } = await setup();
  const rows = await batcher.score(texts(100));
  t.is(rows.length, 100);
  t.deepEqual(
    recording.runs.map((r) => r.length),
    [32, 32, 32, 4],
  );
  t.deepEqual(recording.texts, texts(100), 'oldest first, nothing lost or repeated');
});

test('batcher: batch size 1 scores every text in its own run (batching off)', async (t) => {
  const { recording, batcher } = await setup({ maxBatchSize: 1, maxBatchDelayMs: 0 });
  await Promise.all(texts(5).map((text) => batcher.score([text])));
  t.deepEqual(
    recording.runs.map((r) => r.length),
    [1, 1, 1, 1, 1],
  );
});

test('batcher: texts that queue during a run share the next run', async (t) => {
  const { recording, batcher } = await setup();
  const release = recording.holdOn('first');
  const first = batcher.score(['first']);
  await recording.started('first');
  const rest = Promise.all(texts(5, 'later').map((text) => batcher.score([text])));
  release();
  await Promise.all([first, rest]);
  t.deepEqual(recording.runs, [['first'], texts(5, 'later')]);
});

test('batcher: a full queue refuses the whole request with SVC_ERR_OVERLOADED and queues none of it', async (t) => {
  const { recording, batcher } = await setup({ maxQueueDepth: 4 });
  const release = recording.holdOn('busy');
  const busy = batcher.score(['busy']);
  await recording.started('busy');
  const queued = batcher.score(texts(3, 'queued'));
  t.is(batcher.queueDepth, 4, 'texts in a run that has not finished count too');
  const refused = await t.throwsAsync(batcher.score(texts(2, 'refused')), {
    instanceOf: ServiceError,
  });
  t.is(refused?.code, 'SVC_ERR_OVERLOADED');
  t.is(refused?.statusCode, 503);
  t.regex(refused?.message ?? '', /holds 4 of at most 4 texts and cannot take 2 more/);
  t.is(batcher.queueDepth, 4);
  release();
  await Promise.all([busy, queued]);
  t.is(batcher.queueDepth, 0);
  await batcher.score(['fits again']);
  t.false(recording.texts.some((x) => x.startsWith('refused')));
  t.is(batcher.stats().requestsRefused, 1);
});

test('batcher: one run at a time: full batches wait behind a run in flight, then go in order (recording wrapper)', async (t) => {
  const { recording, batcher } = await setup({ maxBatchSize: 4 });
  const release = recording.holdOn('busy');
  const busy = batcher.score(['busy']);
  await recording.started('busy');
  const rest = batcher.score(texts(10));
  await new Promise((resolve) => setImmediate(resolve));
  t.deepEqual(
    recording.runs.map((r) => r.length),
    [1],
    'ten texts (two full batches) wait while the first run is in flight',
  );
  release();
  await Promise.all([busy, rest]);
  t.deepEqual(
    recording.runs.map((r) => r.length),
    [1, 4, 4, 2],
  );
  t.deepEqual(recording.texts.slice(1), texts(10), 'oldest first');
});

test('batcher: an aborted text is dropped when its run is assembled and never reaches the model (recording wrapper)', async (t) => {
  const { recording, batcher } = await setup();
  const release = recording.holdOn('busy');
  const busy = batcher.score(['busy']);
  await recording.started('busy');
  const controller = new AbortController();
  const kept = batcher.score(['kept']);
  const dropped = batcher.score(['dropped', 'dropped too'], controller.signal);
  const after = batcher.score(['after']);
  t.is(batcher.queueDepth, 5);
  controller.abort();
  t.is(batcher.queueDepth, 5, 'read when the run is assembled, not listened to');
  release();
  const err = await t.throwsAsync(dropped, { instanceOf: ServiceError });
  t.is(err?.code, 'SVC_ERR_CLIENT_CLOSED');
  await Promise.all([busy, kept, after]);
  t.deepEqual(recording.runs, [['busy'], ['kept', 'after']]);
  t.is(batcher.stats().textsDropped, 2);
  t.is(batcher.queueDepth, 0);
});

test('batcher: an already aborted signal is refused without queueing', async (t) => {
  const { recording, batcher } = await setup();
  const err = await t.throwsAsync(batcher.score(['never'], AbortSignal.abort()));
  t.is((err as ServiceError).code, 'SVC_ERR_CLIENT_CLOSED');
  await batcher.score(['after']);
  t.deepEqual(recording.runs, [['after']]);
});

test('batcher: a failed run rejects its texts and the next run still scores', async (t) => {
  const { recording, batcher, runs } = await setup({ maxBatchSize: 2 });
  recording.failOn('poison');
  const results = await Promise.allSettled([
    batcher.score(['poison']),
    batcher.score(['same run']),
    batcher.score(['next run']),
  ]);
  t.is(results[0]?.status, 'rejected');
  t.is(results[1]?.status, 'rejected', 'a run fails as a whole');
  t.is(results[2]?.status, 'fulfilled');
  t.deepEqual(
    runs.map((r) => [r.size, r.failed]),
    [
      [2, true],
      [1, false],
    ],
  );
  t.is(batcher.stats().failedRuns, 1);
});

test('batcher: any arrival and abort pattern scores every kept text once, in order, in runs within the limit (property)', async (t) => {
  const inner = await sharedTinyModel();
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.record({
          size: fc.integer({ min: 1, max: 6 }),
          abort: fc.boolean(),
          gapTurns: fc.integer({ min: 0, max: 2 }),
        }),
        { minLength: 1, maxLength: 20 },
      ),
      fc.integer({ min: 1, max: 8 }),
      async (requests, maxBatchSize) => {
        const recording = new RecordingModel(inner);
        const batcher = new MicroBatcher(recording, {
          maxBatchSize,
          maxBatchDelayMs: 0,
          maxQueueDepth: 1000,
        });
        const release = recording.holdOn('gate');
        const gate = batcher.score(['gate']);
        await recording.started('gate');
        const pending: {
          texts: string[];
          /** Runs dispatched when the request was aborted; undefined if kept. */
          runsAtAbort: number | undefined;
          result: Promise<unknown>;
        }[] = [];
        for (const [r, req] of requests.entries()) {
          const reqTexts = Array.from({ length: req.size }, (_, i) => `r${r} t${i}`);
          const controller = new AbortController();
          const result = batcher.score(reqTexts, controller.signal).catch((e: unknown) => e);
          let runsAtAbort: number | undefined;
          if (req.abort) {
            runsAtAbort = recording.runs.length;
            controller.abort();
          }
          pending.push({ texts: reqTexts, runsAtAbort, result });
          for (let g = 0; g < req.gapTurns; g++) await new Promise((res) => setImmediate(res));
        }
        release();
        await gate;
        const outcomes = await Promise.all(pending.map((p) => p.result));
        const scored = recording.texts.filter((x) => x !== 'gate');
        t.is(new Set(scored).size, scored.length, 'no text is scored twice');
        const kept = pending.filter((p) => p.runsAtAbort === undefined).flatMap((p) => p.texts);
        t.deepEqual(
          scored.filter((x) => kept.includes(x)),
          kept,
          'every kept text, in arrival order',
        );
        for (const p of pending) {
          if (p.runsAtAbort === undefined) continue;
          const before = recording.runs.slice(0, p.runsAtAbort).flat();
          t.true(
            p.texts.every((x) => !scored.includes(x) || before.includes(x)),
            'an aborted text reaches the model only if its run had started',
          );
        }
        t.true(recording.runs.every((run) => run.length <= maxBatchSize));
        for (const [i, p] of pending.entries()) {
          const outcome = outcomes[i];
          const wholeRunBefore =
            p.runsAtAbort !== undefined &&
            p.texts.every((x) => recording.runs.slice(0, p.runsAtAbort).flat().includes(x));
          if (p.runsAtAbort === undefined || wholeRunBefore) {
            t.is((outcome as number[][]).length, p.texts.length);
          } else {
            t.is((outcome as ServiceError).code, 'SVC_ERR_CLIENT_CLOSED');
          }
        }
        // Texts of an aborted request may still be in a run after its promise rejected.
        for (let turn = 0; turn < 100 && batcher.queueDepth > 0; turn++) {
          await new Promise((res) => setImmediate(res));
        }
        t.is(batcher.queueDepth, 0, 'nothing is left behind');
      },
    ),
    { numRuns: 40 },
  );
});
