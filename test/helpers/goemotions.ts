import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Example } from '../../training/data.js';
import { readDataset } from '../../training/data.js';
import { mulberry32 } from '../../training/prng.js';
import type { TrainData } from '../../training/train.js';

/**
 * Training data for tests. The GoEmotions files are not in the repository: they are found through
 * `GOEMOTIONS_DIR` or `../shared/datasets/goemotions/ekman` from the repository root. On a clean
 * clone without them, a deterministic synthetic corpus stands in, and `source` says so, for the
 * test to log: a test must never silently exercise less than it claims.
 */
export async function trainingData(): Promise<{ data: TrainData; source: string }> {
  const candidates = [
    process.env.GOEMOTIONS_DIR,
    join(process.cwd(), '..', 'shared', 'datasets', 'goemotions', 'ekman'),
  ].filter((dir): dir is string => dir !== undefined && dir !== '');
  for (const dir of candidates) {
    if (existsSync(join(dir, 'train.tsv')) && existsSync(join(dir, 'dev.tsv'))) {
      const dataset = await readDataset(dir);
      return {
        data: {
          labels: dataset.labels,
          train: dataset.train.examples,
          dev: dataset.dev.examples,
          sha256: { train: dataset.train.sha256, dev: dataset.dev.sha256 },
        },
        source: `GoEmotions ekman from ${resolve(dir)}`,
      };
    }
  }
  return {
    data: syntheticCorpus(2000, 400),
    source: 'a synthetic corpus (GoEmotions not found via GOEMOTIONS_DIR or ../shared)',
  };
}

const LABELS = ['anger', 'disgust', 'fear', 'joy', 'neutral', 'sadness', 'surprise'];
const CUES: readonly (readonly string[])[] = [
  ['furious', 'angry', 'hate', 'annoying', 'rage'],
  ['gross', 'disgusting', 'nasty', 'vile', 'ew'],
  ['scared', 'afraid', 'terrified', 'nervous', 'worried'],
  ['love', 'happy', 'great', 'thanks', 'awesome'],
  ['today', 'maybe', 'think', 'game', 'post'],
  ['sad', 'miss', 'sorry', 'lonely', 'cry'],
  ['wow', 'shocked', 'surprised', 'unexpected', 'whoa'],
];
const FILLER = ['the', 'a', 'is', 'this', 'that', 'it', 'was', 'so', 'really', 'i', 'you', 'and'];

function corpus(rows: number, random: () => number): Example[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  return Array.from({ length: rows }, (_, i) => {
    const first = Math.floor(random() * LABELS.length);
    const labels = random() < 0.1 ? [first, (first + 1 + Math.floor(random() * 6)) % 7] : [first];
    const words: string[] = [];
    for (let w = 0; w < 4 + Math.floor(random() * 10); w++) {
      words.push(random() < 0.3 ? pick(CUES[pick(labels)] ?? []) : pick(FILLER));
    }
    return {
      text: words.join(' '),
      labels: [...new Set(labels)].sort((a, b) => a - b),
      id: `s${i}`,
    };
  });
}

/** A deterministic labelled corpus whose labels are learnable from cue words. */
export function syntheticCorpus(trainRows: number, devRows: number): TrainData {
  const random = mulberry32(7);
  return { labels: LABELS, train: corpus(trainRows, random), dev: corpus(devRows, random) };
}
