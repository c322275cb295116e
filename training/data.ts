import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { TRN_ERR_DATA_INVALID, TRN_ERR_DATA_MISSING, trainingError } from './errors.js';

/**
 * GoEmotions-style TSV: no header; columns `text`, comma-separated label ids (0-based, indexing
 * labels.txt), comment id. One example per line; a final newline is optional.
 */
export interface Example {
  readonly text: string;
  /** Distinct label ids, ascending. */
  readonly labels: readonly number[];
  readonly id: string;
}

export interface Split {
  readonly examples: readonly Example[];
  /** sha256 of the file's bytes, hex; recorded in model.json as provenance. */
  readonly sha256: string;
}

export interface Dataset {
  readonly labels: readonly string[];
  readonly train: Split;
  readonly dev: Split;
}

function errnoOf(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : e instanceof Error ? e.message : String(e);
}

async function readBytes(path: string, expected: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw trainingError(
      TRN_ERR_DATA_MISSING,
      `${path} cannot be read (${errnoOf(cause)}); expected ${expected}`,
      { cause },
    );
  }
}

/** Parses labels.txt: one non-empty, distinct label per line. */
export function parseLabels(text: string, path: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const labels: string[] = [];
  for (const [i, raw] of lines.entries()) {
    const label = raw.replace(/\r$/, '');
    if (label === '' || labels.includes(label)) {
      throw trainingError(
        TRN_ERR_DATA_INVALID,
        `${path} line ${i + 1} is ${JSON.stringify(label)}; expected a non-empty label not listed before`,
      );
    }
    labels.push(label);
  }
  if (labels.length === 0) {
    throw trainingError(TRN_ERR_DATA_INVALID, `${path} is empty; expected one label per line`);
  }
  return labels;
}

function lineError(path: string, line: number, what: string, expected: string) {
  return trainingError(TRN_ERR_DATA_INVALID, `${path} line ${line} ${what}; expected ${expected}`);
}

/**
 * Parses a TSV split. `labelCount` bounds the label ids. Throws `TRN_ERR_DATA_INVALID` naming the
 * first bad line (1-based), the offending value and the expectation.
 */
export function parseTsv(text: string, path: string, labelCount: number): Example[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const examples: Example[] = [];
  const idRange = `comma-separated label ids in 0..${labelCount - 1}`;
  for (const [i, raw] of lines.entries()) {
    const line = i + 1;
    const columns = raw.replace(/\r$/, '').split('\t');
    if (columns.length !== 3) {
      throw lineError(
        path,
        line,
        `has ${columns.length} tab-separated columns`,
        '3 (text, label ids, id)',
      );
    }
    const [text = '', labelField = '', id = ''] = columns;
    if (text.trim() === '') {
      throw lineError(path, line, 'has an empty text', 'a non-empty text in column 1');
    }
    const labels: number[] = [];
    for (const part of labelField.split(',')) {
      const value = /^[0-9]+$/.test(part) ? Number(part) : Number.NaN;
      if (!(value < labelCount)) {
        throw lineError(path, line, `has label id ${JSON.stringify(part)}`, idRange);
      }
      if (labels.includes(value)) {
        throw lineError(
          path,
          line,
          `repeats label id ${JSON.stringify(part)}`,
          'distinct label ids',
        );
      }
      labels.push(value);
    }
    examples.push({ text, labels: labels.sort((a, b) => a - b), id });
  }
  return examples;
}

async function readSplit(path: string, labelCount: number): Promise<Split> {
  const bytes = await readBytes(path, 'a GoEmotions TSV file (text, label ids, id)');
  return {
    examples: parseTsv(bytes.toString('utf8'), path, labelCount),
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

/** Reads `dir`/labels.txt, train.tsv and dev.tsv. */
export async function readDataset(dir: string): Promise<Dataset> {
  const labelsPath = join(dir, 'labels.txt');
  const labels = parseLabels(
    (
      await readBytes(labelsPath, 'a dataset directory with labels.txt, train.tsv and dev.tsv')
    ).toString('utf8'),
    labelsPath,
  );
  return {
    labels,
    train: await readSplit(join(dir, 'train.tsv'), labels.length),
    dev: await readSplit(join(dir, 'dev.tsv'), labels.length),
  };
}

/**
 * Reads the examples to evaluate: `path` is a TSV file, or a dataset directory whose dev.tsv is
 * used. Labels are the model's, so ids are checked against its label count.
 */
export async function readEvalSplit(
  path: string,
  labelCount: number,
): Promise<{ path: string; split: Split; isDev: boolean }> {
  let isDir = false;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (cause) {
    throw trainingError(
      TRN_ERR_DATA_MISSING,
      `${path} cannot be read (${errnoOf(cause)}); expected a dataset directory or a TSV file`,
      { cause },
    );
  }
  const file = isDir ? join(path, 'dev.tsv') : path;
  const split = await readSplit(file, labelCount);
  return { path: file, split, isDev: basename(file) === 'dev.tsv' };
}
