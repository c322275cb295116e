/**
 * What the engine bench keeps open: 1,000 firing alerts in 50 groups under the default
 * definitions (alerts/definitions/alerting.yaml: group_by alertname and target), shaped so every
 * flush also mutes:
 *
 * - `InferDown` (critical, the oncall route) on targets t00–t09: 10 groups of 20;
 * - `InferLatencyHigh` (warning, the root route) on targets t00–t39: 40 groups of 20; on t00–t09
 *   they are inhibited by InferDown (the first inhibition rule, `equal: [target]`), on t10–t14
 *   silenced by `SEED_SILENCES`.
 *
 * So the first flush sends 35 notifications showing 700 of the 1,000 alerts: the 15 groups whose
 * alerts are all muted (200 inhibited, 100 silenced) send nothing. Alerts in one group differ by
 * `instance` (i00–i19), as one rule's finding per instance would.
 */
import type { SilenceSpec } from '../../alerts/engine/types.js';
import type { IncomingAlert } from '../../alerts/types.js';

export const SEED_GROUPS = 50;
export const SEED_ALERTS_PER_GROUP = 20;
export const SEED_ALERTS = SEED_GROUPS * SEED_ALERTS_PER_GROUP;
/** How many of the seed's alerts a notification leaves out, and why. */
export const SEED_MUTED = { inhibited: 200, silenced: 100 } as const;
/** Groups with every alert muted: no notification. */
export const SEED_MUTED_GROUPS = 15;

const DOWN_TARGETS = 10;
const LATENCY_TARGETS = SEED_GROUPS - DOWN_TARGETS;
const pad = (n: number) => String(n).padStart(2, '0');

/** The seed's alerts as a sweep sends them at `at` (a re-send has the same labels, a new key). */
export function seedAlerts(at: number, pass = 0): IncomingAlert[] {
  const alerts: IncomingAlert[] = [];
  const groups = [
    ...Array.from({ length: DOWN_TARGETS }, (_, t) => ['InferDown', 'critical', t] as const),
    ...Array.from(
      { length: LATENCY_TARGETS },
      (_, t) => ['InferLatencyHigh', 'warning', t] as const,
    ),
  ];
  for (const [alertname, severity, t] of groups) {
    for (let i = 0; i < SEED_ALERTS_PER_GROUP; i++) {
      const target = `t${pad(t)}`;
      const instance = `i${pad(i)}`;
      alerts.push({
        source: 'runwatch',
        dedupeKey: `runwatch:bench-${pass}:${alertname}:${target}:${instance}:firing`,
        lifecycleId: null,
        status: 'firing',
        labels: { alertname, severity, target, instance },
        annotations: { summary: `${alertname} on ${target}/${instance}` },
        startsAt: at,
        endsAt: null,
      });
    }
  }
  return alerts;
}

/** Two silences made through the admin API: one mutes t10–t14's latency, one matches nothing. */
export function seedSilences(
  at: number,
): (SilenceSpec & { readonly id: string; readonly origin: 'api' })[] {
  const base = {
    startsAt: at,
    endsAt: at + 86_400_000,
    createdBy: 'bench',
    origin: 'api',
  } as const;
  return [
    {
      ...base,
      id: 'bench-latency-t10-t14',
      comment: 'maintenance on t10–t14',
      matchers: [
        { name: 'alertname', op: '=', value: 'InferLatencyHigh' },
        { name: 'target', op: '=~', value: 't1[0-4]' },
      ],
    },
    {
      ...base,
      id: 'bench-nothing',
      comment: 'a silence that matches no alert',
      matchers: [{ name: 'target', op: '=', value: 'gone' }],
    },
  ];
}
