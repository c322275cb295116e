/** Group notifications as the engine hands them to notifiers, for the pubsub notifier's tests. */
import type { AlertSnapshot, GroupNotification } from '../../../alerts/engine/types.js';

const T0 = Date.UTC(2026, 11, 7, 12);

export function alert(
  n: number,
  overrides: Partial<AlertSnapshot> & { target?: string } = {},
): AlertSnapshot {
  const target = overrides.target ?? `target-${n}`;
  return {
    fingerprint: n.toString(16).padStart(16, '0'),
    status: 'firing',
    source: 'runwatch',
    labels: { alertname: 'InferDown', severity: 'critical', target },
    annotations: { summary: `${target} is down` },
    startsAt: T0 + n * 1000,
    endsAt: null,
    ...overrides,
  };
}

export function notification(
  alerts: readonly AlertSnapshot[],
  overrides: Partial<GroupNotification> = {},
): GroupNotification {
  return {
    id: 'n-0001',
    groupKey: '0.1:{alertname="InferDown"}',
    receiver: 'downstream',
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    reason: 'first notification',
    groupLabels: { alertname: 'InferDown' },
    commonLabels: { alertname: 'InferDown', severity: 'critical' },
    commonAnnotations: {},
    alerts,
    createdAt: T0 + 60_000,
    ...overrides,
  };
}

/** Notifications that reach every corner of the schema: resolved alerts, empty maps, every source and reason, text that is not ASCII. */
export function varied(): GroupNotification[] {
  return [
    notification([alert(1)]),
    notification(
      [
        alert(2),
        alert(3, { status: 'resolved', endsAt: T0 + 120_000 }),
        alert(4, {
          source: 'monitoring',
          labels: { alertname: 'LatencyHigh', severity: 'warning', région: 'Zürich ☃' },
          annotations: {},
        }),
      ],
      { id: 'n-0002', reason: 'some alerts resolved' },
    ),
    notification(
      [
        alert(5, {
          source: 'log',
          status: 'resolved',
          endsAt: T0 + 1,
          labels: { alertname: 'ErrorLogged', severity: 'info', log: 'a "quoted" \\ line\n' },
        }),
      ],
      { id: 'n-0003', reason: 'all alerts resolved', groupLabels: {}, groupKey: '0:{}' },
    ),
    notification([alert(6)], { id: 'n-0004', reason: 'new alerts added' }),
    notification([alert(7)], { id: 'n-0005', reason: 'repeat interval elapsed' }),
  ];
}
