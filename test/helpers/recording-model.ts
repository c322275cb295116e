/**
 * RecordingModel: a test wrapper over a real model that records the input of every `predict`
 * call (one call = one `session.run`) when the call is made, so tests can see what the batcher
 * sent. Runs execute one after another, as onnxruntime's do. It can hold a run (and so every run
 * behind it) until released, and fail a run, on cue by text. Test-only; never in production code.
 */
import { MDL_ERR_INFERENCE_FAILED, modelError } from '../../lib/model-package/errors.js';
import type { Model } from '../../service/model/model.js';

export class RecordingModel implements Model {
  /** The texts of each run, in call order. */
  readonly runs: string[][] = [];
  readonly #inner: Model;
  readonly #holds = new Map<string, Promise<void>>();
  readonly #failing = new Set<string>();
  #waiters: { text: string; resolve: () => void }[] = [];
  /** Settles when the latest run has finished; the next run starts after it. */
  #tail: Promise<void> = Promise.resolve();

  constructor(inner: Model) {
    this.#inner = inner;
  }

  get name() {
    return this.#inner.name;
  }
  get version() {
    return this.#inner.version;
  }
  get labels() {
    return this.#inner.labels;
  }
  get thresholds() {
    return this.#inner.thresholds;
  }

  /** A run containing `text` waits until the returned function is called. */
  holdOn(text: string): () => void {
    let release = () => {};
    this.#holds.set(
      text,
      new Promise<void>((r) => {
        release = r;
      }),
    );
    return release;
  }

  /** A run containing `text` fails with `MDL_ERR_INFERENCE_FAILED`. */
  failOn(text: string): void {
    this.#failing.add(text);
  }

  /** Resolves once a run containing `text` has started (at once if one already has). */
  started(text: string): Promise<void> {
    if (this.texts.includes(text)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ text, resolve }));
  }

  /** Every text that reached the model. */
  get texts(): string[] {
    return this.runs.flat();
  }

  async predict(texts: readonly string[]): Promise<number[][]> {
    this.runs.push([...texts]);
    const ready = this.#waiters.filter((w) => texts.includes(w.text));
    this.#waiters = this.#waiters.filter((w) => !texts.includes(w.text));
    for (const w of ready) w.resolve();
    const previous = this.#tail;
    let finished = () => {};
    this.#tail = new Promise<void>((r) => {
      finished = r;
    });
    try {
      await previous;
      for (const t of texts) {
        const hold = this.#holds.get(t);
        if (hold !== undefined) await hold;
      }
      if (texts.some((t) => this.#failing.has(t))) {
        throw modelError(MDL_ERR_INFERENCE_FAILED, 'test: RecordingModel failed this run on cue');
      }
      return await this.#inner.predict(texts);
    } finally {
      finished();
    }
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
