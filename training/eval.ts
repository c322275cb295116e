import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { RunwatchError } from '../lib/errors.js';
import { loadModelPackage } from '../service/model/onnx-model.js';
import { readEvalSplit } from './data.js';
import { TRN_ERR_USAGE, trainingError } from './errors.js';
import { f1Report, honestF1, type ScoredSet, tuneThresholds } from './metrics.js';

const USAGE =
  'usage: npm run eval:model -- --data <dataset dir or .tsv> [--model models/emotion-ekman]';

/** Texts per `predict` call: large enough to amortize a run, small enough to pad little. */
const BATCH = 128;

export interface EvalReport {
  readonly rows: number;
  readonly labels: readonly string[];
  readonly thresholds: readonly number[];
  readonly macro: number;
  readonly micro: number;
  readonly perLabel: readonly number[];
  readonly support: readonly number[];
  /** Only for dev data: thresholds tuned on one half, scored on the other (see metrics.ts). */
  readonly honestMacro?: number;
  /** Only for dev data: thresholds tuned on all of it. */
  readonly optimisticMacro?: number;
}

/**
 * Scores `data` (a TSV, or a dataset directory's dev.tsv) with the package in `modelDir`, loaded
 * through the service's own loader so the figures are those of what is served.
 */
export async function evaluate(modelDir: string, data: string): Promise<EvalReport> {
  const model = await loadModelPackage(modelDir);
  try {
    const labels = model.labels.length;
    const { split, isDev } = await readEvalSplit(data, labels);
    const rows = split.examples.length;
    const scores = new Float64Array(rows * labels);
    const truth = new Uint8Array(rows * labels);
    for (let from = 0; from < rows; from += BATCH) {
      const batch = split.examples.slice(from, from + BATCH);
      const predicted = await model.predict(batch.map((e) => e.text));
      for (const [i, row] of predicted.entries()) scores.set(row, (from + i) * labels);
      for (const [i, e] of batch.entries())
        for (const k of e.labels) truth[(from + i) * labels + k] = 1;
    }
    const set: ScoredSet = { rows, labels, scores, truth };
    const report = f1Report(set, model.thresholds);
    const support = Array.from({ length: labels }, (_, k) => {
      let n = 0;
      for (let r = 0; r < rows; r++) n += truth[r * labels + k] ?? 0;
      return n;
    });
    const base = {
      rows,
      labels: model.labels,
      thresholds: model.thresholds,
      macro: report.macro,
      micro: report.micro,
      perLabel: report.perLabel,
      support,
    };
    if (!isDev) return base;
    return {
      ...base,
      honestMacro: honestF1(set).macro,
      optimisticMacro: f1Report(set, tuneThresholds(set)).macro,
    };
  } finally {
    await model.close();
  }
}

export function formatReport(report: EvalReport, source: string): string {
  const width = Math.max(...report.labels.map((l) => l.length), 'label'.length);
  const lines = [
    `${source}: ${report.rows} examples, package thresholds`,
    '',
    `${'label'.padEnd(width)}  threshold  support  F1`,
    ...report.labels.map(
      (label, k) =>
        `${label.padEnd(width)}  ${(report.thresholds[k] ?? 0).toFixed(4).padStart(9)}  ${String(report.support[k] ?? 0).padStart(7)}  ${(report.perLabel[k] ?? 0).toFixed(4)}`,
    ),
    '',
    `${'macro-F1'.padEnd(26)}${report.macro.toFixed(4)}`,
    `${'micro-F1'.padEnd(26)}${report.micro.toFixed(4)}`,
  ];
  if (report.honestMacro !== undefined && report.optimisticMacro !== undefined) {
    lines.push(
      `${'dev macro-F1, honest'.padEnd(26)}${report.honestMacro.toFixed(4)}  (thresholds tuned on one half of dev, scored on the other; 2 folds x 5 shuffles)`,
      `${'dev macro-F1, optimistic'.padEnd(26)}${report.optimisticMacro.toFixed(4)}  (thresholds tuned on all of dev)`,
    );
  }
  return lines.join('\n');
}

async function main(argv: readonly string[]): Promise<void> {
  let values: { data?: string | undefined; model?: string | undefined };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: { data: { type: 'string' }, model: { type: 'string' } },
    }));
  } catch (cause) {
    throw trainingError(
      TRN_ERR_USAGE,
      `${cause instanceof Error ? cause.message : String(cause)}\n${USAGE}`,
      { cause },
    );
  }
  if (values.data === undefined) {
    throw trainingError(TRN_ERR_USAGE, `option --data is missing; expected a path\n${USAGE}`);
  }
  const report = await evaluate(values.model ?? 'models/emotion-ekman', values.data);
  console.log(formatReport(report, values.data));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    // Package and data errors carry a stable code and a complete message; others keep their stack.
    if (e instanceof RunwatchError) console.error(`${e.code}: ${e.message}`);
    else console.error(e);
    process.exitCode = 1;
  });
}
