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
  readonly schema: ProtoSchema;
}
