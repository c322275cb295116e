/**
 * Every alert runwatch can raise, from every source of alert definitions, with the runbook
 * reference its findings carry: the trend rules (`alerts/definitions/trend-rules/*.yaml`) and the
 * findings built in code (ScrapeFailed by the sweep, SweeperAbsent by the heartbeat). The Cloud
 * Monitoring alert policies, when they are defined as code, join here as a third source, so that
 * one check (test/alerts/runbooks.unit.test.ts) holds every alertname to its runbook.
 */
import { SCRAPE_FAILED, SCRAPE_FAILED_RUNBOOK } from './sweep/scrape-findings.js';
import { loadRules } from './trends/load-rules.js';
import { SWEEPER_ABSENT, SWEEPER_ABSENT_RUNBOOK } from './trends/sweeper-heartbeat.js';

export interface KnownAlert {
  readonly alertname: string;
  /** The `runbook_url` its findings carry; undefined when the definition names none. */
  readonly runbookUrl: string | undefined;
  /** Where it is defined, for messages: a rule's `file#index`, or the module that builds it. */
  readonly source: string;
}

/** The alerts built in code, outside any definition file. */
const BUILT_IN: readonly KnownAlert[] = [
  {
    alertname: SCRAPE_FAILED,
    runbookUrl: SCRAPE_FAILED_RUNBOOK,
    source: 'alerts/sweep/scrape-findings.ts',
  },
  {
    alertname: SWEEPER_ABSENT,
    runbookUrl: SWEEPER_ABSENT_RUNBOOK,
    source: 'alerts/trends/sweeper-heartbeat.ts',
  },
];

/**
 * Every known alert: the rules in `rulesDir` (loaded and validated as the sweep loads them, so a
 * bad rule file throws its `RULE_ERR_*`), then the built-in ones.
 */
export function knownAlerts(rulesDir: string): KnownAlert[] {
  const rules = loadRules(rulesDir).map((rule) => ({
    alertname: rule.alertname,
    runbookUrl: rule.runbook_url,
    source: rule.source,
  }));
  return [...rules, ...BUILT_IN];
}

/** The alertnames of `knownAlerts(rulesDir)`, in the same order. */
export function knownAlertnames(rulesDir: string): string[] {
  return knownAlerts(rulesDir).map((a) => a.alertname);
}
