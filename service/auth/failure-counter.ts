/**
 * Failures per client in fixed windows: a client's window opens at its first failure and lasts
 * `windowMs`; once it holds `limit` failures the client is refused until the window ends.
 * Pure (the time is passed in), so its tests are tables.
 *
 * At most `capacity` clients are remembered: the client whose window opened first is forgotten
 * to make room (a Map keeps insertion order, and a window that reopens is re-inserted), which
 * bounds memory against a guesser spread over many addresses.
 */
interface Window {
  failures: number;
  openedAt: number;
}

export class FailureCounter {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #capacity: number;
  readonly #windows = new Map<string, Window>();

  constructor(limit: number, windowMs: number, capacity: number) {
    this.#limit = limit;
    this.#windowMs = windowMs;
    this.#capacity = capacity;
  }

  /** Clients remembered: 0 means nobody has failed, and no check needs to look anyone up. */
  get size(): number {
    return this.#windows.size;
  }

  /** Counts one failure of `client` at `now`; returns its failures in the current window. */
  note(client: string, now: number): number {
    const open = this.#open(client, now);
    if (open !== null) {
      open.failures++;
      return open.failures;
    }
    if (this.#windows.size >= this.#capacity) {
      const oldest = this.#windows.keys().next();
      if (oldest.done !== true) this.#windows.delete(oldest.value);
    }
    this.#windows.set(client, { failures: 1, openedAt: now });
    return 1;
  }

  /** Whole seconds (at least 1) until `client` may try again, or 0 when it is not refused. */
  retryAfterS(client: string, now: number): number {
    const open = this.#open(client, now);
    if (open === null || open.failures < this.#limit) return 0;
    return Math.max(1, Math.ceil((open.openedAt + this.#windowMs - now) / 1000));
  }

  /** The client's window if it is still open at `now`. */
  #open(client: string, now: number): Window | null {
    const w = this.#windows.get(client);
    if (w === undefined) return null;
    if (now - w.openedAt < this.#windowMs) return w;
    this.#windows.delete(client);
    return null;
  }
}
