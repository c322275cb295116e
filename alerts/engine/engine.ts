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
 * - inhibition sources are the store's active alerts that match some rule's source matchers,
 *   evaluated at the flush time and indexed by the rules' `equal` values (inhibit.ts): read once
 *   per batch of flushes (a tick's `flushDue`, the groups one `receive` finds due), not per group;
 *   a group's own members count as evaluated in its transaction. The store narrows the read by
 *   the rules' source matchers where it can (store/engine-sources.ts) and returns at most
 *   `maxInhibitionSources`, firing and longest-standing first: past that, logged
 *   `alert.inhibition_sources_capped`, the rest do not mute in that batch (their targets notify:
 *   a cap never silences anything), so a flood of active alerts costs every flush a bounded read.
 * - a group holds at most `maxGroupMembers` alerts (MAX_GROUP_MEMBERS): past that, a new alert
 *   is refused from that group, logged `alert.group_full` once until the group's next
 *   notification, which counts the refused ones (`refusedAlerts`); so a flood of series with the
 *   same group labels costs every flush of their group a bounded read.
 * - a group keeps the receiver it was made for. After a definitions change, a member whose labels
 *   now route elsewhere, and that has already joined the group(s) it routes to (an event for it
 *   arrived under the new definitions), leaves: resolved for this group at its next flush (shown
 *   only if this group notified it firing), then removed. An alert no event re-routes stays where
 *   it was, so the receiver that got it firing gets its resolve.
 *
 * Nothing here keeps state between calls: the store is the state, so any function instance can
 * take over from any other.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../lib/logger.js';
import { sourceFilter } from '../store/engine-sources.js';
import type { EngineStore, FlushChanges, FlushState, GroupTarget } from '../store/engine-store.js';
import type { IncomingAlert } from '../types.js';
import {
  type AlertRow,
  applyEvent,
  endedStreak,
  evaluate,
  type FlapSettings,
  shown,
  shownEnd,
} from './alert-state.js';
import { common, type FlushMember, planFlush } from './decide.js';
import { fingerprint } from './fingerprint.js';
import { type InhibitionIndex, indexSources, isSourceOf } from './inhibit.js';
import { matchesAll } from './matchers.js';
import { groupKeyOf, groupLabelsOf, matchRoutes } from './routes.js';
import { silencedBy, usableSilences } from './silences.js';
import type {
  AlertSnapshot,
  EngineConfig,
  GroupNotification,
  NotificationReason,
  Route,
} from './types.js';

export interface EngineDeps {
  readonly config: EngineConfig;
  readonly store: EngineStore;
  readonly log: Logger;
  readonly now?: () => number;
  /** Notification ids; default random UUIDs. */
  readonly newId?: () => string;
  /** The most inhibition source candidates one batch of flushes reads; default MAX_INHIBITION_SOURCES. */
  readonly maxInhibitionSources?: number;
  /** The most members a group takes; default MAX_GROUP_MEMBERS. */
  readonly maxGroupMembers?: number;
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
  /**
   * False: the event changed nothing (stale, a resolution of an alert never seen firing, or a new
   * alert every one of its groups refused: full).
   */
  readonly changed: boolean;
  readonly groups: readonly string[];
  /** The groups among `groups` that refused the alert: they had `maxGroupMembers` members. */
  readonly refused: readonly string[];
  readonly flushed: readonly FlushOutcome[];
}

export interface Engine {
  receive(alert: IncomingAlert): Promise<ReceiveOutcome>;
  /** Flushes up to `limit` due groups, soonest first. */
  flushDue(limit?: number): Promise<FlushOutcome[]>;
  /** Flushes one group if it is due; null when it is not (or does not exist). */
  flushGroup(groupKey: string): Promise<FlushOutcome | null>;
  /**
   * Keeps the store's definitions silences in step with the file: each declared one is written
   * by id (an edit of the file replaces the stored one), and every other definitions silence that
   * has not ended is ended now (removed from the file). Silences of the admin API are left alone.
   */
  syncSilences(): Promise<{ readonly declared: number; readonly expired: number }>;
}

/** The most groups one `flushDue` takes by default. */
export const DEFAULT_FLUSH_LIMIT = 500;

/**
 * The most inhibition source candidates one batch of flushes reads, so a flood of active alerts
 * costs each batch a bounded read; real sources are few (one or two per target, an outage's root
 * causes).
 */
export const MAX_INHIBITION_SOURCES = 1_000;

/**
 * The most alerts one group holds, so a source sending endless series with the same group labels
 * costs every flush of that group a bounded read (and its notification a bounded body). A full
 * group refuses new fingerprints: logged `alert.group_full` at the first refusal since the group's
 * last notification, and counted in that group's next notification (`refusedAlerts`). Its members
 * are untouched, and a refused alert's next event joins once one has left.
 */
export const MAX_GROUP_MEMBERS = 1_000;

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
  const maxSources = deps.maxInhibitionSources ?? MAX_INHIBITION_SOURCES;
  const maxMembers = deps.maxGroupMembers ?? MAX_GROUP_MEMBERS;
  const candidates = sourceFilter(config.inhibitRules);

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

  /** The group keys `labels` route to under these definitions. */
  const groupKeysOf = (labels: Readonly<Record<string, string>>): Set<string> =>
    new Set(matchRoutes(config.route, labels).map((r) => groupKeyOf(r, labels)));

  /** The firing inhibition sources at `t`, indexed; null without inhibition rules. */
  const loadSources = async (t: number): Promise<InhibitionIndex | null> => {
    const rules = config.inhibitRules;
    if (rules.length === 0) return null;
    const read = await store.activeAlerts({ filter: candidates, limit: maxSources + 1 });
    if (read.length > maxSources) {
      log.warn(
        {
          event: 'alert.inhibition_sources_capped',
          limit: maxSources,
          filtered: candidates !== null,
        },
        `more than ${maxSources} active alerts may be inhibition sources: the first ${maxSources} (firing, longest first) mute in this batch, the rest do not`,
      );
      read.length = maxSources;
    }
    const firing = read
      .filter((a) => rules.some((rule) => isSourceOf(rule, a.labels)))
      .map((a) => evaluate(a, t, resolveTimeout, flapFor(a.labels)))
      .filter((a) => a.state === 'firing');
    return indexSources(rules, firing);
  };

  const decide =
    (t: number, notificationId: string, sources: InhibitionIndex | null) =>
    (state: FlushState): FlushChanges => {
      const { group } = state;
      // A route gone from the definitions leaves its groups to the root's timers until they empty.
      const route = routes.get(group.routeId) ?? config.route;
      const receiver = config.receivers.get(group.receiver);
      const evaluated = state.members.map((m) => evaluate(m, t, resolveTimeout, flapFor(m.labels)));
      const memberFps = new Set(evaluated.map((a) => a.fingerprint));
      const own =
        sources === null
          ? null
          : indexSources(
              config.inhibitRules,
              evaluated.filter((a) => a.state === 'firing'),
            );
      const inhibited = (row: AlertRow): boolean =>
        sources !== null &&
        own !== null &&
        (sources.mutedBy(row, memberFps) ?? own.mutedBy(row)) !== null;
      const silences = usableSilences(state.silences, (id, message) =>
        log.warn(
          { event: 'alert.silence_invalid', id },
          `silence ${id} mutes nothing: ${message}; expire it and create it again`,
        ),
      );
      const muted = (row: AlertRow): boolean =>
        silencedBy(row.labels, silences, t).length > 0 || inhibited(row);
      const notifiedFiring = new Set(group.log?.firing ?? []);
      const members: FlushMember[] = evaluated.map((row) => {
        const routed = groupKeysOf(row.labels);
        const departed =
          !routed.has(group.groupKey) &&
          (state.memberships.get(row.fingerprint) ?? []).some((k) => routed.has(k));
        if (departed && row.state !== 'resolved') {
          // Resolved for this group only: it fires on in the groups it routes to now.
          const hidden = !notifiedFiring.has(row.fingerprint);
          return {
            snapshot: { ...snapshot(row), status: 'resolved', endsAt: t },
            hidden,
            muted: !hidden && muted(row),
          };
        }
        const hidden = !shown(row);
        const streak = hidden ? endedStreak(row) : null;
        if (streak === null) {
          return { snapshot: snapshot(row), hidden, muted: !hidden && muted(row) };
        }
        const ended: AlertSnapshot = { ...snapshot(row), status: 'resolved', ...streak };
        return { snapshot: snapshot(row), hidden, ended, muted: muted(row) };
      });
      const plan = planFlush({
        members,
        log: group.log,
        now: t,
        repeatIntervalMs: route.repeatIntervalMs,
        sendResolved: receiver?.sendResolved ?? true,
      });
      const notification: GroupNotification | null =
        plan.alerts === null || plan.reason === null
          ? null
          : {
              id: notificationId,
              groupKey: group.groupKey,
              receiver: group.receiver,
              status: plan.alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
              reason: plan.reason,
              groupLabels: group.groupLabels,
              commonLabels: common(plan.alerts.map((a) => a.labels)),
              commonAnnotations: common(plan.alerts.map((a) => a.annotations)),
              alerts: plan.alerts,
              ...(group.refused > 0 ? { refusedAlerts: group.refused } : {}),
              createdAt: t,
            };
      return {
        alerts: evaluated.filter((a, i) => a !== state.members[i]),
        remove: plan.remove,
        deleteGroup: plan.empty,
        nextFlushAt: t + route.groupIntervalMs,
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
        refusedReported: notification === null ? 0 : group.refused,
      };
    };

  /** One group's flush at `t` against `sources` (read for the batch it belongs to). */
  const flushAt = async (
    groupKey: string,
    t: number,
    sources: InhibitionIndex | null,
  ): Promise<FlushOutcome | null> => {
    const notificationId = newId();
    const changes = await store.flush(groupKey, t, decide(t, notificationId, sources));
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
          refusedAlerts: sent.refusedAlerts ?? 0,
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

  /** Flushes `keys` at `t`, in order, reading the inhibition sources once for all of them. */
  const flushBatch = async (keys: readonly string[], t: number): Promise<FlushOutcome[]> => {
    if (keys.length === 0) return [];
    const sources = await loadSources(t);
    const outcomes: FlushOutcome[] = [];
    for (const key of keys) {
      const outcome = await flushAt(key, t, sources);
      if (outcome !== null) outcomes.push(outcome);
    }
    return outcomes;
  };

  const flushGroup = async (groupKey: string): Promise<FlushOutcome | null> => {
    const [outcome] = await flushBatch([groupKey], now());
    return outcome ?? null;
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
      const result = await store.receive({ fingerprint: fp, groups, now: t, maxMembers }, (row) => {
        const applied = applyEvent(row, alert, fp, t, resolveTimeout);
        return applied === null ? null : evaluate(applied, t, resolveTimeout, flap);
      });
      for (const r of result.refused) {
        // Once per group until its next notification, which carries the count: a flood into a
        // full group logs one line, not one per alert.
        if (r.refused !== 1) continue;
        log.warn(
          {
            event: 'alert.group_full',
            groupKey: r.groupKey,
            receiver: r.receiver,
            limit: maxMembers,
            fingerprint: fp,
          },
          `group ${r.groupKey} has ${maxMembers} alerts: alert ${fp} was refused (its next notification counts the refused alerts)`,
        );
      }
      const flushed = await flushBatch(result.due, t);
      return {
        fingerprint: fp,
        changed: result.changed,
        groups: groups.map((g) => g.groupKey),
        refused: result.refused.map((r) => r.groupKey),
        flushed,
      };
    },

    async flushDue(limit = DEFAULT_FLUSH_LIMIT) {
      const t = now();
      return flushBatch(await store.dueGroups(t, limit), t);
    },

    async syncSilences() {
      const t = now();
      for (const s of config.silences) await store.putSilence({ ...s, origin: 'definitions' }, t);
      const expired = await store.expireDefinitionSilences(
        config.silences.map((s) => s.id),
        t,
      );
      if (expired > 0)
        log.info(
          { event: 'alert.silences_expired', expired },
          `${expired} silence(s) no longer in the definitions file ended`,
        );
      return { declared: config.silences.length, expired };
    },
  };
}
