/** The rule-type registry: `type` in a rule file → its implementation. */
import type { RuleType } from '../rule.js';
import { absence } from './absence.js';
import { burnRate } from './burn-rate.js';
import { ewmaAnomaly } from './ewma-anomaly.js';
import { slopeForecast } from './slope-forecast.js';
import { threshold } from './threshold.js';

// biome-ignore lint/suspicious/noExplicitAny: the registry holds rule types of different params.
type AnyRuleType = RuleType<any>;

export const RULE_TYPES: Readonly<Record<string, AnyRuleType>> = Object.freeze({
  [threshold.type]: threshold,
  [slopeForecast.type]: slopeForecast,
  [ewmaAnomaly.type]: ewmaAnomaly,
  [burnRate.type]: burnRate,
  [absence.type]: absence,
});
