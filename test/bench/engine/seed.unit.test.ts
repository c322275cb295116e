/**
 * The engine bench's seed against the default definitions' own routing and grouping: 1,000
 * alerts in 50 groups of 20, and which of them the inhibition rules and silences mute.
 */
import test from 'ava';
import { fingerprint } from '../../../alerts/engine/fingerprint.js';
import { isInhibited } from '../../../alerts/engine/inhibit.js';
import { loadEngineDefinitions } from '../../../alerts/engine/load-definitions.js';
import { groupKeyOf, matchRoutes } from '../../../alerts/engine/routes.js';
import { silencedBy } from '../../../alerts/engine/silences.js';
import {
  SEED_ALERTS,
  SEED_ALERTS_PER_GROUP,
  SEED_GROUPS,
  SEED_MUTED,
  SEED_MUTED_GROUPS,
  seedAlerts,
  seedSilences,
} from '../../../bench/engine/seed.js';

const T = 1_780_000_000_000;
const definitions = loadEngineDefinitions();
const alerts = seedAlerts(T);
const sources = alerts.map((a) => ({ fingerprint: fingerprint(a.labels), labels: a.labels }));

test('engine bench seed: 1,000 distinct firing alerts in 50 groups of 20 under the default routes', (t) => {
  t.is(alerts.length, SEED_ALERTS);
  t.is(SEED_ALERTS, 1000);
  t.is(new Set(sources.map((s) => s.fingerprint)).size, SEED_ALERTS, 'distinct fingerprints');
  t.true(alerts.every((a) => a.status === 'firing' && a.startsAt === T && a.endsAt === null));
  const groups = new Map<string, number>();
  for (const a of alerts) {
    const routes = matchRoutes(definitions.route, a.labels);
    t.is(routes.length, 1, 'one route per alert');
    const key = groupKeyOf(routes[0] as (typeof routes)[number], a.labels);
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  t.is(groups.size, SEED_GROUPS);
  t.is(SEED_GROUPS, 50);
  t.deepEqual(new Set(groups.values()), new Set([SEED_ALERTS_PER_GROUP]));
});

test('engine bench seed: a re-send has the same labels under new dedupe keys', (t) => {
  const again = seedAlerts(T + 60_000, 1);
  t.deepEqual(
    again.map((a) => fingerprint(a.labels)),
    sources.map((s) => s.fingerprint),
  );
  const keys = new Set(alerts.map((a) => a.dedupeKey));
  t.true(again.every((a) => !keys.has(a.dedupeKey)));
});

test('engine bench seed: the default inhibition rules mute 200 alerts and the silences 100 more, 15 whole groups', (t) => {
  const silences = seedSilences(T).map((s) => ({ ...s, createdAt: T, updatedAt: T }));
  let inhibited = 0;
  let silenced = 0;
  const groupsMuted = new Map<string, boolean>();
  for (const [i, a] of alerts.entries()) {
    const byRule =
      isInhibited(sources[i] as (typeof sources)[number], sources, definitions.inhibitRules) !==
      null;
    const bySilence = silencedBy(a.labels, silences, T + 1).length > 0;
    if (byRule) inhibited++;
    else if (bySilence) silenced++;
    const group = `${a.labels.alertname}/${a.labels.target}`;
    groupsMuted.set(group, (groupsMuted.get(group) ?? true) && (byRule || bySilence));
  }
  t.deepEqual({ inhibited, silenced }, SEED_MUTED);
  t.is([...groupsMuted.values()].filter(Boolean).length, SEED_MUTED_GROUPS);
});
