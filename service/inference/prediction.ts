/** How a model's scores become the answer clients read: labels by score, those over threshold. */
import type { Model } from '../model/model.js';

export interface Prediction {
  readonly emotion: string;
  readonly confidence: number;
  readonly emotions: readonly { emotion: string; confidence: number }[];
  readonly predicted: readonly string[];
}

/** Labels sorted by score; `predicted` holds those over their threshold, or the top one. */
export function toPrediction(model: Model, scores: readonly number[]): Prediction {
  const emotions = model.labels
    .map((emotion, i) => ({ emotion, confidence: scores[i] ?? 0 }))
    .sort((a, b) => b.confidence - a.confidence);
  const top = emotions[0] ?? { emotion: '', confidence: 0 };
  const predicted = emotions
    .filter((e) => e.confidence >= (model.thresholds[model.labels.indexOf(e.emotion)] ?? 0.5))
    .map((e) => e.emotion);
  return {
    emotion: top.emotion,
    confidence: top.confidence,
    emotions,
    predicted: predicted.length > 0 ? predicted : [top.emotion],
  };
}
