/**
 * Alertmanager's webhook v4 body, held up to the body Alertmanager 0.34 sends (the fixture):
 * the same fields with the same JSON types, Go's time formats, and `max_alerts` truncation.
 */
import test from 'ava';
import {
  alertmanagerWebhookBody,
  GO_ZERO_TIME,
  goTime,
} from '../../../alerts/notifiers/formats/alertmanager-v4.js';
import {
  ALERTMANAGER_V4_BODY,
  groupNotification,
  snapshot,
} from './fixtures/alertmanager-webhook.js';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Each key with the JSON type of its value; objects as `map` when every value is a string. */
function shape(value: object): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (Array.isArray(v)) out[key] = 'array';
    else if (v !== null && typeof v === 'object') {
      out[key] = Object.values(v).every((x) => typeof x === 'string') ? 'map' : 'object';
    } else out[key] = typeof v;
  }
  return out;
}

test('alertmanager body: every field of Alertmanager 0.34 is present with its JSON type, plus only the runwatch extension', (t) => {
  const body = JSON.parse(
    JSON.stringify(
      alertmanagerWebhookBody(groupNotification([snapshot(1), snapshot(2, 'resolved')]), {
        maxAlerts: 0,
        externalURL: 'https://runwatch.example.com',
      }),
    ),
  ) as Record<string, unknown>;
  const { runwatch, ...rest } = body;
  t.deepEqual(shape(rest), shape(ALERTMANAGER_V4_BODY));
  t.deepEqual(runwatch, { notificationId: 'n-0001' });
  const alerts = body.alerts as Record<string, unknown>[];
  t.is(alerts.length, 2);
  for (const alert of alerts) t.deepEqual(shape(alert), shape(ALERTMANAGER_V4_BODY.alerts[0]));
  t.like(body, {
    version: '4',
    groupKey: '0.1:{alertname="InferDown",target="prod"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'oncall',
    notification_reason: 'first notification',
    routeLabels: {},
    externalURL: 'https://runwatch.example.com',
  });
});

test('alertmanager body: a firing alert has the zero endsAt, a resolved one its RFC 3339 end', (t) => {
  const body = alertmanagerWebhookBody(groupNotification([snapshot(1), snapshot(2, 'resolved')]), {
    maxAlerts: 0,
  });
  const [firing, resolved] = body.alerts;
  t.like(firing, { status: 'firing', endsAt: '0001-01-01T00:00:00Z', generatorURL: '' });
  t.is(firing?.startsAt, '2026-12-07T12:00:01Z');
  t.like(resolved, { status: 'resolved', startsAt: '2026-12-07T12:00:02Z' });
  t.is(resolved?.endsAt, '2026-12-07T12:01:02.25Z');
  for (const alert of body.alerts) {
    t.regex(alert.startsAt, RFC3339);
    t.regex(alert.endsAt, RFC3339);
    t.regex(alert.fingerprint, /^[0-9a-f]{16}$/);
  }
  t.is(body.externalURL, '');
});

test('alertmanager body: goTime writes Go time.Time JSON (fraction only when not zero, trailing zeros dropped)', (t) => {
  t.is(goTime(Date.UTC(2024, 4, 1, 12)), '2024-05-01T12:00:00Z');
  t.is(goTime(Date.UTC(2024, 4, 1, 12, 0, 0, 100)), '2024-05-01T12:00:00.1Z');
  t.is(goTime(Date.UTC(2024, 4, 1, 12, 0, 0, 123)), '2024-05-01T12:00:00.123Z');
  t.is(GO_ZERO_TIME, '0001-01-01T00:00:00Z');
});

test('alertmanager body: maxAlerts keeps the first N alerts and counts the rest in truncatedAlerts', (t) => {
  const alerts = [1, 2, 3, 4, 5].map((n) => snapshot(n));
  const cut = alertmanagerWebhookBody(groupNotification(alerts), { maxAlerts: 2 });
  t.deepEqual(
    cut.alerts.map((a) => a.fingerprint),
    [alerts[0]?.fingerprint, alerts[1]?.fingerprint],
  );
  t.is(cut.truncatedAlerts, 3);
  t.deepEqual(cut.commonLabels, { alertname: 'InferDown', severity: 'page', target: 'prod' });
  const all = alertmanagerWebhookBody(groupNotification(alerts), { maxAlerts: 0 });
  t.is(all.alerts.length, 5);
  t.is(all.truncatedAlerts, 0);
  const roomy = alertmanagerWebhookBody(groupNotification(alerts), { maxAlerts: 9 });
  t.is(roomy.alerts.length, 5);
  t.is(roomy.truncatedAlerts, 0);
});

test('alertmanager body: alerts a full group refused count in truncatedAlerts', (t) => {
  const alerts = [1, 2, 3].map((n) => snapshot(n));
  const refused = alertmanagerWebhookBody(groupNotification(alerts, { refusedAlerts: 40 }), {
    maxAlerts: 0,
  });
  t.is(refused.alerts.length, 3);
  t.is(refused.truncatedAlerts, 40);
  const both = alertmanagerWebhookBody(groupNotification(alerts, { refusedAlerts: 40 }), {
    maxAlerts: 2,
  });
  t.is(both.truncatedAlerts, 41);
});

test('alertmanager body: the receiver is quoted as Alertmanager quotes it and label keys are sorted', (t) => {
  const body = alertmanagerWebhookBody(
    groupNotification([snapshot(1)], { receiver: 'web.hook+ops' }),
    { maxAlerts: 0 },
  );
  t.is(body.receiver, 'web\\.hook\\+ops');
  t.deepEqual(Object.keys(body.groupLabels), ['alertname', 'target']);
  t.deepEqual(Object.keys(body.alerts[0]?.labels ?? {}), [
    'alertname',
    'instance',
    'severity',
    'target',
  ]);
});

test('alertmanager body: a resolved group says resolved with the reason all alerts resolved', (t) => {
  const body = alertmanagerWebhookBody(
    groupNotification([snapshot(1, 'resolved')], { reason: 'all alerts resolved' }),
    { maxAlerts: 0 },
  );
  t.is(body.status, 'resolved');
  t.is(body.notification_reason, 'all alerts resolved');
});
