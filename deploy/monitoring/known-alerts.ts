/**
 * Every alert runwatch can raise, from every source of alert definitions, with the runbook
 * reference its findings carry: the trend rules (`alerts/definitions/trend-rules/*.yaml`), the
 * findings built in code (ScrapeFailed by the sweep, SweeperAbsent by the heartbeat), and the
 * Cloud Monitoring alert policies (`alerts/definitions/monitoring/policies/*.yaml`: an incident's
 * alertname is its policy's display name, its runbook the policy's runbook link), so that one
 * check (test/alerts/runbooks.unit.test.ts) holds every alertname to its runbook. It lives in
 * deploy/ because it reads the policies, which are deploy's to load; the alerts domain never
 * imports deploy.
 */
import { dirname, join } from 'node:path';
import { SCRAPE_FAILED, SCRAPE_FAILED_RUNBOOK } from '../../alerts/sweep/scrape-findings.js';
import { loadRules } from '../../alerts/trends/load-rules.js';
import { SWEEPER_ABSENT, SWEEPER_ABSENT_RUNBOOK } from '../../alerts/trends/sweeper-heartbeat.js';
import { policyAlert } from './policy-alerts.js';
import { readMonitoringDefinitions } from './read.js';

export interface KnownAlert {
  readonly alertname: string;
  /** The `runbook_url` its findings carry; undefined when the definition names none. */
  readonly runbookUrl: string | undefined;
  /**
   * Where it is defined, for messages: a rule's `file#index`, a policy's file, or the module
   * that builds it.
   */
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
 * The alerts of the Monitoring policies under `monitoringDir`, read as written (their proto and
 * rules are deploy/monitoring's to check: `npm run deploy:validate`). A policy without a string
 * display name raises no alertname it could be known by and is left out.
 */
function policyAlerts(monitoringDir: string): KnownAlert[] {
  return readMonitoringDefinitions(monitoringDir).definitions.policies.flatMap((def) => {
    const { alertname, runbookUrl } = policyAlert(def);
    return alertname === undefined ? [] : [{ alertname, runbookUrl, source: def.file }];
  });
}

/**
 * Every known alert: the rules in `rulesDir` (loaded and validated as the sweep loads them, so a
 * bad rule file throws its `RULE_ERR_*`), the built-in ones, then the Monitoring policies in
 * `monitoringDir` (by default `monitoring/` beside `rulesDir`).
 */
export function knownAlerts(
  rulesDir: string,
  monitoringDir: string = join(dirname(rulesDir), 'monitoring'),
): KnownAlert[] {
  const rules = loadRules(rulesDir).map((rule) => ({
    alertname: rule.alertname,
    runbookUrl: rule.runbook_url,
    source: rule.source,
  }));
  return [...rules, ...BUILT_IN, ...policyAlerts(monitoringDir)];
}

/** The alertnames of `knownAlerts(rulesDir, monitoringDir)`, in the same order. */
export function knownAlertnames(rulesDir: string, monitoringDir?: string): string[] {
  return knownAlerts(rulesDir, monitoringDir).map((a) => a.alertname);
}
