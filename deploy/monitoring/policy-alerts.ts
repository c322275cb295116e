/**
 * The alert a policy raises in runwatch's engine, read from its definition as written. A Cloud
 * Monitoring incident reaches alertIngest with the policy's display name as `policy_name`, which
 * becomes the alert's `alertname` (alerts/ingest/sources/monitoring-incident.ts); its first
 * documentation link that names itself a runbook becomes `annotations.runbook_url`. So the
 * display name is the alertname and that link is the runbook, both held to the same rules as
 * every other alert (deploy/monitoring/known-alerts.ts, test/alerts/runbooks.unit.test.ts).
 */
import { isRecord } from './paths.js';
import type { MonitoringDefinition } from './types.js';

/** An alertname as the trend rules spell one (and as a runbook file is named). */
export const ALERTNAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface PolicyAlert {
  /** The policy's displayName: the incident's policy_name, the alert's alertname. */
  readonly alertname: string | undefined;
  /** The first documentation link whose display name or URL says "runbook", as alertIngest reads it. */
  readonly runbookUrl: string | undefined;
}

/** The index of the runbook link in `documentation.links`, as alertIngest picks it, or -1. */
export function runbookLinkIndex(documentation: unknown): number {
  if (!isRecord(documentation) || !Array.isArray(documentation.links)) return -1;
  return documentation.links.findIndex(
    (link) =>
      isRecord(link) &&
      typeof link.url === 'string' &&
      /runbook/i.test(
        `${typeof link.displayName === 'string' ? link.displayName : ''} ${link.url}`,
      ),
  );
}

export function policyAlert(definition: MonitoringDefinition): PolicyAlert {
  const { displayName, documentation } = definition.resource;
  const i = runbookLinkIndex(documentation);
  const links =
    isRecord(documentation) && Array.isArray(documentation.links) ? documentation.links : [];
  const link: unknown = i < 0 ? undefined : links[i];
  return {
    alertname: typeof displayName === 'string' ? displayName : undefined,
    runbookUrl: isRecord(link) && typeof link.url === 'string' ? link.url : undefined,
  };
}
