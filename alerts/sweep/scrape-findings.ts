/**
 * How a scrape problem becomes a finding: `ScrapeFailed`, one per target and code (labels
 * `alertname`, `target`, `severity` warning, `code`), built by the sweep itself rather than by a
 * rule file, so that no definition can switch it off.
 *
 * - firing: at every sweep whose read of the target's /health or /metrics had a problem with that
 *   code (a bound passed, an unreadable or invalid body, dropped samples, an unknown status);
 * - resolved: once, at the first sweep that reads the target without that code, when the
 *   target's latest ScrapeFailed findings (at most `PREVIOUS_EVALUATION_SLACK_MS` old, the slack
 *   every rule's previous evaluation has) had it firing;
 * - nothing while the target is not read at all (down, or not probed): InferDown speaks then, and
 *   an episode open before it resolves at the next clean read within the slack.
 *
 * Stateless like the rules: "was firing" is read back from the stored findings, one query per sweep.
 */
import { runbookPath } from '../runbooks.js';
import type { TrendStore } from '../store/store.js';
import { PREVIOUS_EVALUATION_SLACK_MS } from '../trends/rule.js';
import type { Finding } from '../types.js';
import type { ScrapeProblem } from './probe.js';

export const SCRAPE_FAILED = 'ScrapeFailed';
/** Its runbook's repository path, every finding's `runbook_url` (alerts/runbooks.ts). */
export const SCRAPE_FAILED_RUNBOOK = runbookPath(SCRAPE_FAILED);

export interface TargetScrape {
  readonly target: string;
  /** Whether /health and /metrics were read at all in this sweep (the target was up). */
  readonly scraped: boolean;
  readonly problems: readonly ScrapeProblem[];
}

function finding(
  target: string,
  code: string,
  state: Finding['state'],
  ts: number,
  summary: string,
): Finding {
  return {
    alertname: SCRAPE_FAILED,
    target,
    severity: 'warning',
    state,
    ts,
    labels: { alertname: SCRAPE_FAILED, target, severity: 'warning', code },
    annotations: { summary, runbook_url: SCRAPE_FAILED_RUNBOOK },
  };
}

/** Codes firing at each target's latest ScrapeFailed evaluation before `ts`, within the slack. */
async function firingBefore(store: TrendStore, ts: number): Promise<Map<string, Set<string>>> {
  const recent = (await store.findings({ from: ts - PREVIOUS_EVALUATION_SLACK_MS })).filter(
    (f) => f.alertname === SCRAPE_FAILED && f.ts < ts,
  );
  const latest = new Map<string, number>();
  for (const f of recent) latest.set(f.target, Math.max(f.ts, latest.get(f.target) ?? f.ts));
  const firing = new Map<string, Set<string>>();
  for (const f of recent) {
    const code = f.labels.code;
    if (f.ts !== latest.get(f.target) || f.state !== 'firing' || code === undefined) continue;
    let codes = firing.get(f.target);
    if (codes === undefined) {
      codes = new Set();
      firing.set(f.target, codes);
    }
    codes.add(code);
  }
  return firing;
}

/** This sweep's ScrapeFailed findings, in target order, firing before resolved per target. */
export async function scrapeFindings(
  store: TrendStore,
  scrapes: readonly TargetScrape[],
  ts: number,
): Promise<Finding[]> {
  const before = await firingBefore(store, ts);
  const out: Finding[] = [];
  for (const { target, scraped, problems } of scrapes) {
    if (!scraped) continue;
    const now = new Map<string, string[]>();
    for (const p of problems) now.set(p.code, [...(now.get(p.code) ?? []), p.message]);
    for (const [code, messages] of now) {
      out.push(finding(target, code, 'firing', ts, `${target}: ${code}: ${messages.join('; ')}`));
    }
    for (const code of before.get(target) ?? []) {
      if (!now.has(code)) {
        out.push(finding(target, code, 'resolved', ts, `${target}: scrapes without ${code} again`));
      }
    }
  }
  return out;
}
