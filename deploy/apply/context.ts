import type { ProtoSchema } from './proto-json.js';

/** What every part of one apply run shares. */
export interface ApplyContext {
  readonly projectId: string;
  /** Describe only; report what a run would do. */
  readonly dryRun: boolean;
  /** Take over a channel or policy found by displayName without runwatch's labels (ownership.ts). */
  readonly adopt: boolean;
  /** Each call's deadline, its retries included (the gax `timeout`). */
  readonly timeoutMs: number;
  /**
   * How long the run may wait, in all, for Monitoring to see log metrics its policies name
   * (metric-wait.ts); 0: not at all.
   */
  readonly metricWaitMs: number;
  /** Prints one line of progress (a wait) as it happens; the report comes at the end. */
  readonly progress: (line: string) => void;
  readonly schema: ProtoSchema;
}
