/**
 * Micro-batching: texts that arrive together are scored by one `Model.predict` (one
 * `session.run`).
 *
 * Contract:
 * - A run takes at most `maxBatchSize` texts, oldest first, and one run is in flight at a time:
 *   texts that arrive during a run wait for it to end and then go together. On an idle batcher
 *   the first text waits one event-loop turn, or up to `maxBatchDelayMs` for company when most
 *   recent runs ended with texts already waiting (saturation; below it, waiting would only add
 *   latency). `maxBatchSize` 1 makes every text its own run (batching off).
 * - Why one run at a time: featurizing and onnxruntime-node's `run` are synchronous on the event
 *   loop, and the runtime starts every run handed to it in the same turn back to back. Dispatching
 *   all full batches at once made a backlog of N texts one turn of N texts' work, and their
 *   replies one burst that the clients answered with N requests in the next turn: the loop moved
 *   in lock-step turns of the whole backlog, and a liveness probe waited two such turns
 *   (docs/benchmarks.md). One run per turn bounds a turn's work by
 *   `maxBatchSize` texts, and costs no throughput, since runs never overlapped on the CPU anyway.
 * - At most `maxQueueDepth` texts are admitted and not yet scored (waiting, or in a run that has
 *   not finished). A request whose texts would not all fit is refused whole with
 *   `SVC_ERR_OVERLOADED`, before anything is queued, so a batch request is never half-scored.
 * - A text whose signal (`CancelSignal`) reads aborted when its run is assembled is dropped there
 *   and never reaches the model; its promise rejects with `SVC_ERR_CLIENT_CLOSED`, and it counts
 *   in `queueDepth` until then (it would have waited that long anyway; skipping it costs nothing).
 *   Once in a run, a text is scored (the run cannot be cut short) and the caller discards it.
 * - A failed run rejects every text in it with the model's error; the next run is unaffected.
 *
 * One batcher per loaded model, created by the composition root: no module-level state.
 */
import { ServiceError } from '../errors.js';
import type { Model } from '../model/model.js';

/**
 * What the batcher needs of a cancellation signal: an `AbortSignal` is one, and so is the
 * request-scoped `clientClosedSignal` (routes/client-signal.ts).
 *
 * Read, not listened to: the batcher asks when it assembles a run. A listener per request (on
 * the response, or an abort listener here with a promise settling to remove it) made every
 * request's object graph outlive two scavenges under load, and garbage collection then cost
 * several times more (docs/benchmarks.md).
 */
export interface CancelSignal {
  readonly aborted: boolean;
}

export interface BatcherOptions {
  /** Most texts per run; 1 scores every text alone (batching off). */
  readonly maxBatchSize: number;
  /** Longest wait, in ms, of the first text queued on an idle batcher. */
  readonly maxBatchDelayMs: number;
  /** Most texts waiting for a run. */
  readonly maxQueueDepth: number;
}

/** What one run did; for metrics and `/model_status`. */
export interface RunRecord {
  readonly size: number;
  readonly durationMs: number;
  /** Texts admitted and not yet scored when the run finished. */
  readonly queueDepth: number;
  readonly failed: boolean;
}

/** Hooks for metrics; called synchronously, so they must be cheap and must not throw. */
export interface BatcherObserver {
  readonly onRun?: (run: RunRecord) => void;
  /** A request refused whole because the queue was full. */
  readonly onRefused?: (texts: number) => void;
}

export interface BatcherStats {
  readonly runs: number;
  readonly textsScored: number;
  readonly meanBatchSize: number;
  readonly queueDepth: number;
  readonly maxQueueDepth: number;
  readonly textsDropped: number;
  readonly requestsRefused: number;
  readonly failedRuns: number;
  readonly meanRunMs: number;
}

interface Pending {
  readonly text: string;
  readonly resolve: (row: number[]) => void;
  readonly reject: (error: unknown) => void;
  readonly signal: CancelSignal | undefined;
}

/** Weight of the newest run in `#backlog` (about the last ten runs count). */
const RECENT_WEIGHT = 0.1;
/** Share of recent runs that ended with texts waiting, above which the batcher is saturated. */
const SATURATED = 0.5;

function clientClosed(): ServiceError {
  return new ServiceError(
    'SVC_ERR_CLIENT_CLOSED',
    'the client disconnected before its text was scored; the text was dropped',
  );
}

export class MicroBatcher {
  readonly #model: Model;
  readonly #options: BatcherOptions;
  readonly #observer: BatcherObserver;
  /** FIFO of texts waiting for a run. */
  #queue: Pending[] = [];
  /** Runs started and not yet settled, and the texts in them. */
  #inFlight = 0;
  #inFlightTexts = 0;
  /**
   * Moving share of runs that ended with texts already waiting: high when texts arrive faster
   * than runs score them, which is when waiting for company pays.
   */
  #backlog = 0;
  #timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  #runs = 0;
  #textsScored = 0;
  #textsDropped = 0;
  #requestsRefused = 0;
  #failedRuns = 0;
  #runMsTotal = 0;

  constructor(model: Model, options: BatcherOptions, observer: BatcherObserver = {}) {
    this.#model = model;
    this.#options = options;
    this.#observer = observer;
  }

  get model(): Model {
    return this.#model;
  }

  /** Texts admitted and not yet scored: waiting for a run, or in one. */
  get queueDepth(): number {
    return this.#queue.length + this.#inFlightTexts;
  }

  /**
   * Scores `texts` (one row per text, in order). Rejects with `SVC_ERR_OVERLOADED` when the queue
   * cannot take them all, with `SVC_ERR_CLIENT_CLOSED` when `signal` fires first, or with the
   * model's error.
   */
  score(texts: readonly string[], signal?: CancelSignal): Promise<number[][]> {
    if (texts.length === 0) return Promise.resolve([]);
    if (signal?.aborted) return Promise.reject(clientClosed());
    const { maxQueueDepth } = this.#options;
    const depth = this.queueDepth;
    if (depth + texts.length > maxQueueDepth) {
      this.#requestsRefused++;
      this.#observer.onRefused?.(texts.length);
      return Promise.reject(
        new ServiceError(
          'SVC_ERR_OVERLOADED',
          `the inference queue holds ${depth} of at most ${maxQueueDepth} texts and cannot take ${texts.length} more; retry after Retry-After`,
        ),
      );
    }
    const rows = this.#enqueue(texts, signal);
    this.#schedule();
    return rows;
  }

  /** Queues one request's texts, each with the request's signal, read when its run is assembled. */
  #enqueue(texts: readonly string[], signal: CancelSignal | undefined): Promise<number[][]> {
    return Promise.all(
      texts.map(
        (text) =>
          new Promise<number[]>((resolve, reject) => {
            this.#queue.push({ text, resolve, reject, signal });
          }),
      ),
    );
  }

  /**
   * With a run in flight, texts wait for it to end (see the class contract). On an idle batcher a
   * full batch starts at once; a partial one waits for the delay timer.
   */
  #schedule(): void {
    if (this.#inFlight > 0 || this.#queue.length === 0) return;
    if (this.#queue.length >= this.#options.maxBatchSize) {
      this.#cancelTimer();
      void this.#run();
      return;
    }
    if (this.#timer !== null) return;
    const fire = () => {
      this.#timer = null;
      void this.#run();
    };
    // Below saturation the CPU has room to score every text as it comes, and a closed-loop
    // client only waits longer, so waiting for company is reserved for a backlogged batcher.
    // One event-loop turn still lets texts parsed in the same I/O phase share the run.
    const delay = this.#backlog < SATURATED ? 0 : this.#options.maxBatchDelayMs;
    this.#timer = delay === 0 ? setImmediate(fire) : setTimeout(fire, delay);
  }

  #cancelTimer(): void {
    if (this.#timer === null) return;
    clearTimeout(this.#timer as NodeJS.Timeout);
    clearImmediate(this.#timer as NodeJS.Immediate);
    this.#timer = null;
  }

  /**
   * Takes up to `maxBatchSize` texts off the front of the queue; texts whose client has gone are
   * dropped on the way (rejected, never scored).
   */
  #take(): Pending[] {
    const batch: Pending[] = [];
    let i = 0;
    for (; i < this.#queue.length && batch.length < this.#options.maxBatchSize; i++) {
      const p = this.#queue[i] as Pending;
      if (p.signal?.aborted) {
        this.#textsDropped++;
        p.reject(clientClosed());
        continue;
      }
      batch.push(p);
    }
    this.#queue = this.#queue.slice(i);
    return batch;
  }

  async #run(): Promise<void> {
    const batch = this.#take();
    if (batch.length === 0) return;
    if (this.#queue.length === 0) this.#cancelTimer();
    this.#inFlight++;
    this.#inFlightTexts += batch.length;
    const t0 = performance.now();
    let failed = false;
    try {
      const rows = await this.#model.predict(batch.map((p) => p.text));
      for (const [i, p] of batch.entries()) p.resolve(rows[i] ?? []);
    } catch (error) {
      failed = true;
      for (const p of batch) p.reject(error);
    }
    const durationMs = performance.now() - t0;
    this.#inFlight--;
    this.#inFlightTexts -= batch.length;
    this.#runs++;
    this.#textsScored += batch.length;
    this.#runMsTotal += durationMs;
    this.#backlog += RECENT_WEIGHT * ((this.#queue.length > 0 ? 1 : 0) - this.#backlog);
    if (failed) this.#failedRuns++;
    this.#observer.onRun?.({ size: batch.length, durationMs, queueDepth: this.queueDepth, failed });
    // Texts that queued during the run have waited long enough: they go now. (The runtime's
    // own turn before the native call is the only hop, so a busy batcher runs once per turn,
    // with an I/O poll between runs.)
    if (this.#queue.length > 0 && this.#inFlight === 0) {
      this.#cancelTimer();
      void this.#run();
    }
  }

  stats(): BatcherStats {
    return {
      runs: this.#runs,
      textsScored: this.#textsScored,
      meanBatchSize: this.#runs === 0 ? 0 : this.#textsScored / this.#runs,
      queueDepth: this.queueDepth,
      maxQueueDepth: this.#options.maxQueueDepth,
      textsDropped: this.#textsDropped,
      requestsRefused: this.#requestsRefused,
      failedRuns: this.#failedRuns,
      meanRunMs: this.#runs === 0 ? 0 : this.#runMsTotal / this.#runs,
    };
  }
}
