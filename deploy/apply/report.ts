/**
 * What apply did, or with `--dry-run` would do, to each resource, and how that is printed: one
 * aligned row per resource under its API, each update's changed fields and each note under it,
 * and a count per action at the end. `--json` prints the same results as one JSON document.
 */

export const APPLY_AREAS = ['Pub/Sub', 'Logging', 'Monitoring'] as const;
export type ApplyArea = (typeof APPLY_AREAS)[number];

export type ApplyKind =
  | 'schema'
  | 'topic'
  | 'subscription'
  | 'topology'
  | 'sink'
  | 'logMetric'
  | 'channel'
  | 'policy';

/**
 * - create, update, unchanged: what was (or would be) done.
 * - untouched: it exists but runwatch does not manage it (no `managed-by: runwatch` label, or the
 *   local stack's push subscription in a deployed project); nothing was changed.
 * - waiting: it cannot be applied yet (no Eventarc trigger subscription: deploy the function).
 * - failed: its error says why; the other resources were still applied.
 */
export const APPLY_ACTIONS = [
  'create',
  'update',
  'unchanged',
  'untouched',
  'waiting',
  'failed',
] as const;
export type ApplyAction = (typeof APPLY_ACTIONS)[number];

export interface ApplyResult {
  readonly area: ApplyArea;
  readonly kind: ApplyKind;
  /** The definition id, or the topology role. */
  readonly id: string;
  /** The full resource name; null where Monitoring has not assigned one yet. */
  readonly name: string | null;
  readonly action: ApplyAction;
  /** An update's changes, one `path: was → now` each. */
  readonly changes: readonly string[];
  /** What the operator should know or do (grants, waiting for a deploy). */
  readonly notes: readonly string[];
  readonly error: { readonly code: string; readonly message: string } | null;
}

export function result(
  fields: Pick<ApplyResult, 'area' | 'kind' | 'id' | 'name' | 'action'> & Partial<ApplyResult>,
): ApplyResult {
  return { changes: [], notes: [], error: null, ...fields };
}

/** How each action reads in a dry run and in a run. */
const WORDS: Readonly<Record<ApplyAction, { readonly dry: string; readonly done: string }>> = {
  create: { dry: 'create', done: 'created' },
  update: { dry: 'update', done: 'updated' },
  unchanged: { dry: 'unchanged', done: 'unchanged' },
  untouched: { dry: 'not touched', done: 'not touched' },
  waiting: { dry: 'waiting', done: 'waiting' },
  failed: { dry: 'failed', done: 'failed' },
};

export const actionWord = (action: ApplyAction, dryRun: boolean): string =>
  dryRun ? WORDS[action].dry : WORDS[action].done;

export interface RunHeading {
  readonly environment: string;
  readonly projectId: string;
  readonly region: string;
  readonly dryRun: boolean;
}

/** The summary line: `3 to create, 1 to update, 9 unchanged, ...` or `3 created, ...`. */
export function summaryLine(results: readonly ApplyResult[], dryRun: boolean): string {
  const count = (a: ApplyAction) => results.filter((r) => r.action === a).length;
  const parts = dryRun
    ? [
        `${count('create')} to create`,
        `${count('update')} to update`,
        `${count('unchanged')} unchanged`,
      ]
    : [
        `${count('create')} created`,
        `${count('update')} updated`,
        `${count('unchanged')} unchanged`,
      ];
  parts.push(
    `${count('untouched')} not touched`,
    `${count('waiting')} waiting`,
    `${count('failed')} failed`,
  );
  return `${dryRun ? 'dry run: ' : ''}${parts.join(', ')}`;
}

export function renderApplyReport(results: readonly ApplyResult[], heading: RunHeading): string {
  const { dryRun } = heading;
  const wKind = Math.max(0, ...results.map((r) => r.kind.length));
  const wAction = Math.max(0, ...results.map((r) => actionWord(r.action, dryRun).length));
  const wId = Math.max(0, ...results.map((r) => r.id.length));
  const indent = ' '.repeat(2 + wKind + 2 + wAction + 2 + 2);
  const lines = [
    `deploy:apply ${dryRun ? 'dry run ' : ''}for ${heading.environment}: project ${heading.projectId}, region ${heading.region}${dryRun ? ' (nothing is changed)' : ''}`,
  ];
  for (const area of APPLY_AREAS) {
    const rows = results.filter((r) => r.area === area);
    if (rows.length === 0) continue;
    lines.push('', area);
    for (const r of rows) {
      const name = r.name ?? (r.action === 'create' ? '(named by Monitoring on create)' : '');
      lines.push(
        `  ${r.kind.padEnd(wKind)}  ${actionWord(r.action, dryRun).padEnd(wAction)}  ${r.id.padEnd(wId)}  ${name}`.trimEnd(),
      );
      for (const c of r.changes) lines.push(`${indent}${c}`);
      if (r.error !== null) lines.push(`${indent}${r.error.code}: ${r.error.message}`);
      for (const n of r.notes) lines.push(`${indent}note: ${n}`);
    }
  }
  lines.push('', summaryLine(results, dryRun), '');
  return lines.join('\n');
}

/** The results as JSON, with the heading and a count per action. */
export function applyReportJson(results: readonly ApplyResult[], heading: RunHeading): string {
  const counts = Object.fromEntries(
    APPLY_ACTIONS.map((a) => [a, results.filter((r) => r.action === a).length]),
  );
  return `${JSON.stringify({ ...heading, counts, results }, null, 2)}\n`;
}
