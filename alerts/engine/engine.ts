/**
 * The alert engine: Alertmanager's dispatcher and notification pipeline over the engine store,
 * for functions that run only when an event or a tick arrives.
 *
 * - `receive(alert)`: fingerprints the labels, routes them (every matching route's group),
 *   applies the event to the alert's state and its groups in one store transaction, then
 *   flushes the groups already due (a group_wait of 0 notifies in the same invocation).
 * - `flushDue()`: the tick's timer work: every group whose next flush time has come is flushed
 *   (group_wait for a new group, then every group_interval; repeat_interval and resolve_timeout
 *   show up at those flushes, as in Alertmanager, where they are also only seen at a flush).
 * - a flush evaluates its alerts (alert-state.ts), mutes them (silences, inhibition), decides
 *   (decide.ts), and commits the new notification log with one outbox row per integration of the
 *   receiver, in the store's transaction. Delivery is the worker's (deliver.ts).
 *
 * Nothing here keeps state between calls: the store is the state, so any function instance can
 * take over from any other.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../lib/logger.js';
import type { EngineStore, FlushChanges, FlushState, GroupTarget } from '../store/engine-store.js';
import type { IncomingAlert } from '../types.js';
import {
  type AlertRow,
  applyEvent,
  evaluate,
  type FlapSettings,
  shown,
  shownEnd,
} from './alert-state.js';
import { common, type FlushMember, planFlush } from './decide.js';
import { fingerprint } from './fingerprint.js';
import { isInhibited } from './inhibit.js';
import { matchesAll } from './matchers.js';
import { groupKeyOf, groupLabelsOf, matchRoutes } from './routes.js';
import { silencedBy } from './silences.js';
import type {
  AlertSnapshot,
  EngineConfig,
  GroupNotification,
  NotificationReason,
  Route,
} from './types.js';
import { ROUTE_DEFAULTS } from './types.js';

export interface EngineDeps {
  readonly config: EngineConfig;
  readonly store: EngineStore;
  readonly log: Logger;
  readonly now?: () => number;
  /** Notification ids; default random UUIDs. */
  readonly newId?: () => string;
}

export interface FlushOutcome {
  readonly groupKey: string;
  /** Null when nothing went out. */
  readonly reason: NotificationReason | null;
  readonly notificationId: string | null;
  /** Outbox rows written (one per integration of the receiver). */
  readonly deliveries: number;
  readonly deleted: boolean;
}

export interface ReceiveOutcome {
  readonly fingerprint: string;
  /** False: the event changed nothing (stale, or a resolution of an alert never seen firing). */
  readonly changed: boolean;
  readonly groups: readonly string[];
  readonly flushed: readonly FlushOutcome[];
}

export interface Engine {
  receive(alert: IncomingAlert): Promise<ReceiveOutcome>;
  /** Flushes up to `limit` due groups, soonest first. */
  flushDue(limit?: number): Promise<FlushOutcome[]>;
  /** Flushes one group if it is due; null when it is not (or does not exist). */
  flushGroup(groupKey: string): Promise<FlushOutcome | null>;
  /** Writes the definitions file's silences into the store (by id; the file wins). */
  syncSilences(): Promise<number>;
}

/** The most groups one `flushDue` takes by default. */
export const DEFAULT_FLUSH_LIMIT = 500;

function routesById(root: Route): Map<string, Route> {
  const all = new Map<string, Route>();
  const walk = (r: Route) => {
    all.set(r.id, r);
    r.routes.forEach(walk);
  };
  walk(root);
  return all;
}

export function createEngine(deps: EngineDeps): Engine {
  const { config, store, log } = deps;
  const now = deps.now ?? Date.now;
  const newId = deps.newId ?? randomUUID;
  const routes = routesById(config.route);
  const resolveTimeout = config.resolveTimeoutMs;

  const flapFor = (labels: Readonly<Record<string, string>>): FlapSettings =>
    config.flapControl.find((f) => matchesAll(f.matchers, labels)) ?? config.flapDefaults;

  const snapshot = (row: AlertRow): AlertSnapshot => {
    const resolved = row.state === 'resolved';
    return {
      fingerprint: row.fingerprint,
      status: resolved ? 'resolved' : 'firing',
      source: row.source,
      labels: row.labels,
      annotations: row.annotations,
      startsAt: row.startsAt,
      endsAt: resolved ? shownEnd(row, resolveTimeout) : null,
    };
  };

  const decide =
    (t: number, notificationId: string) =>
    (state: FlushState): FlushChanges => {
      const route = routes.get(state.group.routeId);
      const receiverName = route?.receiver ?? state.group.receiver;
      const receiver = config.receivers.get(receiverName);
      const evaluated = state.members.map((m) => evaluate(m, t, resolveTimeout, flapFor(m.labels)));
      const byFp = new Map(evaluated.map((a) => [a.fingerprint, a]));
      const sources = state.firing
        .map((a) => byFp.get(a.fingerprint) ?? a)
        .filter((a) => a.state === 'firing');
      const members: FlushMember[] = evaluated.map((row) => ({
        snapshot: snapshot(row),
        hidden: !shown(row),
        muted:
          silencedBy(row.labels, state.silences, t).length > 0 ||
          isInhibited(
            { fingerprint: row.fingerprint, labels: row.labels },
            sources,
            config.inhibitRules,
          ) !== null,
      }));
      const plan = planFlush({
        members,
        log: state.group.log,
        now: t,
        repeatIntervalMs: route?.repeatIntervalMs ?? ROUTE_DEFAULTS.repeatIntervalMs,
        sendResolved: receiver?.sendResolved ?? true,
      });
      const notification: GroupNotification | null =
        plan.alerts === null || plan.reason === null
          ? null
          : {
              id: notificationId,
              groupKey: state.group.groupKey,
              receiver: receiverName,
              status: plan.alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
              reason: plan.reason,
              groupLabels: state.group.groupLabels,
              commonLabels: common(plan.alerts.map((a) => a.labels)),
              commonAnnotations: common(plan.alerts.map((a) => a.annotations)),
              alerts: plan.alerts,
              createdAt: t,
            };
      return {
        alerts: evaluated.filter((a, i) => a !== state.members[i]),
        remove: plan.remove,
        deleteGroup: plan.empty,
        nextFlushAt: t + (route?.groupIntervalMs ?? ROUTE_DEFAULTS.groupIntervalMs),
        log: plan.log,
        outbox:
          notification === null
            ? []
            : (receiver?.integrations ?? []).map((integration, i) => ({
                id: `${notificationId}/${i}`,
                notification,
                integrationIndex: i,
                integration,
              })),
      };
    };

  const flushGroup = async (groupKey: string): Promise<FlushOutcome | null> => {
    const t = now();
    const notificationId = newId();
    const changes = await store.flush(
      groupKey,
      t,
      config.inhibitRules.length > 0,
      decide(t, notificationId),
    );
    if (changes === null) return null;
    const sent = changes.outbox[0]?.notification ?? null;
    const outcome: FlushOutcome = {
      groupKey,
      reason: changes.log === null ? null : (sent?.reason ?? null),
      notificationId: sent === null ? null : notificationId,
      deliveries: changes.outbox.length,
      deleted: changes.deleteGroup,
    };
    if (sent !== null) {
      log.info(
        {
          event: 'alert.notification_planned',
          groupKey,
          notificationId,
          receiver: sent.receiver,
          reason: sent.reason,
          status: sent.status,
          alerts: sent.alerts.length,
          deliveries: changes.outbox.length,
        },
        `group ${groupKey}: ${sent.reason}, ${sent.alerts.length} alert(s) to ${sent.receiver}`,
      );
    } else if (changes.log !== null) {
      // A decision with nothing to send: an all-resolved update without send_resolved.
      log.debug({ event: 'alert.flush', groupKey, deleted: changes.deleteGroup }, 'flushed');
    }
    return outcome;
  };

  return {
    flushGroup,

    async receive(alert) {
      const t = now();
      const fp = fingerprint(alert.labels);
      const flap = flapFor(alert.labels);
      const matched = matchRoutes(config.route, alert.labels);
      // A pending alert's group waits for the alert's `for` before it waits group_wait.
      const pendingFor = Math.max(0, alert.startsAt + flap.forMs - t);
      const groups: GroupTarget[] =
        alert.status === 'firing'
          ? matched.map((r) => ({
              groupKey: groupKeyOf(r, alert.labels),
              routeId: r.id,
              receiver: r.receiver,
              groupLabels: groupLabelsOf(r, alert.labels),
              firstFlushAt: t + pendingFor + r.groupWaitMs,
            }))
          : [];
      const result = await store.receive({ fingerprint: fp, groups, now: t }, (row) => {
        const applied = applyEvent(row, alert, fp, t, resolveTimeout);
        return applied === null ? null : evaluate(applied, t, resolveTimeout, flap);
      });
      const flushed: FlushOutcome[] = [];
      for (const key of result.due) {
        const outcome = await flushGroup(key);
        if (outcome !== null) flushed.push(outcome);
      }
      return {
        fingerprint: fp,
        changed: result.changed,
        groups: groups.map((g) => g.groupKey),
        flushed,
      };
    },

    async flushDue(limit = DEFAULT_FLUSH_LIMIT) {
      const outcomes: FlushOutcome[] = [];
      for (const key of await store.dueGroups(now(), limit)) {
        const outcome = await flushGroup(key);
        if (outcome !== null) outcomes.push(outcome);
      }
      return outcomes;
    },

    async syncSilences() {
      const t = now();
      for (const s of config.silences) await store.putSilence({ ...s, origin: 'definitions' }, t);
      return config.silences.length;
    },
  };
}
