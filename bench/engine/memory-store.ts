/**
 * The engine bench's bare baseline: the engine store's `receive`, `flush` and `dueGroups` over
 * Maps in this process, with no transaction, lock, SQL or serialisation, so the same engine
 * (routing, fingerprint, evaluate, mute, decide) runs the same decisions and what the real stores
 * add shows as the difference. A bench stand-in, not a store: there is no outbox worker behind it
 * (deliveries are only kept to be counted), and the methods the decision phase never calls
 * throw.
 */
import type { AlertRow } from '../../alerts/engine/alert-state.js';
import type { Silence } from '../../alerts/engine/types.js';
import type {
  Delivery,
  EngineStore,
  FlushChanges,
  FlushState,
  GroupRow,
  ReceiveResult,
} from '../../alerts/store/engine-store.js';

const unused = (name: string) => () => {
  throw new Error(`the bench's in-memory baseline has no ${name}`);
};

export function createMemoryEngineStore(): EngineStore {
  const alerts = new Map<string, AlertRow>();
  const groups = new Map<string, GroupRow>();
  const members = new Map<string, Set<string>>();
  const silences = new Map<string, Silence>();
  const outbox: Delivery[] = [];
  let seq = 0;

  return {
    async receive(input, step): Promise<ReceiveResult> {
      const prev = alerts.get(input.fingerprint) ?? null;
      const next = step(prev);
      if (next === null) return { changed: false, due: [], refused: [] };
      const full = input.groups.filter((g) => {
        const m = members.get(g.groupKey);
        return m !== undefined && !m.has(input.fingerprint) && m.size >= input.maxMembers;
      });
      const refused = full.map((g) => {
        const group = groups.get(g.groupKey) as GroupRow;
        groups.set(g.groupKey, { ...group, refused: group.refused + 1 });
        return { groupKey: g.groupKey, receiver: group.receiver, refused: group.refused + 1 };
      });
      refused.sort((a, b) => (a.groupKey < b.groupKey ? -1 : 1));
      const joins = input.groups.filter((g) => !full.includes(g));
      if (prev === null && joins.length === 0 && input.groups.length > 0)
        return { changed: false, due: [], refused };
      alerts.set(input.fingerprint, next);
      const due: string[] = [];
      for (const g of joins) {
        let group = groups.get(g.groupKey);
        if (group === undefined) {
          group = {
            groupKey: g.groupKey,
            routeId: g.routeId,
            receiver: g.receiver,
            groupLabels: g.groupLabels,
            createdAt: input.now,
            nextFlushAt: g.firstFlushAt,
            log: null,
            refused: 0,
          };
          groups.set(g.groupKey, group);
          members.set(g.groupKey, new Set());
        }
        members.get(g.groupKey)?.add(input.fingerprint);
        if (group.nextFlushAt <= input.now) due.push(g.groupKey);
      }
      return { changed: true, due: due.sort(), refused };
    },

    async flush(groupKey, now, decide): Promise<FlushChanges | null> {
      const group = groups.get(groupKey);
      if (group === undefined || group.nextFlushAt > now) return null;
      const fps = members.get(groupKey) ?? new Set<string>();
      const keysOf = (fp: string) =>
        [...members.entries()].filter(([, m]) => m.has(fp)).map(([k]) => k);
      const state: FlushState = {
        group,
        members: [...fps].map((fp) => alerts.get(fp) as AlertRow),
        silences: [...silences.values()].filter((s) => s.startsAt <= now && s.endsAt > now),
        memberships: new Map([...fps].map((fp) => [fp, keysOf(fp).sort()])),
      };
      const changes = decide(state);
      for (const a of changes.alerts) alerts.set(a.fingerprint, a);
      for (const fp of changes.remove) fps.delete(fp);
      if (changes.deleteGroup) {
        groups.delete(groupKey);
        members.delete(groupKey);
      } else {
        groups.set(groupKey, {
          ...group,
          nextFlushAt: changes.nextFlushAt,
          log: changes.log ?? group.log,
          refused: Math.max(0, group.refused - changes.refusedReported),
        });
      }
      for (const o of changes.outbox) {
        outbox.push({
          ...o,
          seq: ++seq,
          groupKey,
          receiver: o.notification.receiver,
          status: 'pending',
          attempts: 0,
          nextAttemptAt: now,
          leaseUntil: null,
          lastErrorCode: null,
          lastError: null,
          deliveredAt: null,
          createdAt: now,
        });
      }
      return changes;
    },

    async activeAlerts() {
      return [...alerts.values()].filter((a) => a.state === 'firing' || a.state === 'pending');
    },

    async dueGroups(now, limit) {
      return [...groups.values()]
        .filter((g) => g.nextFlushAt <= now)
        .sort((a, b) => a.nextFlushAt - b.nextFlushAt || (a.groupKey < b.groupKey ? -1 : 1))
        .slice(0, limit)
        .map((g) => g.groupKey);
    },

    async putSilence(s, now) {
      const silence: Silence = {
        ...s,
        createdAt: silences.get(s.id)?.createdAt ?? now,
        updatedAt: now,
      };
      silences.set(s.id, silence);
      return silence;
    },

    async addSilence(s, now, maxActive) {
      if ([...silences.values()].filter((x) => x.endsAt > now).length >= maxActive) return null;
      const silence: Silence = { ...s, createdAt: now, updatedAt: now };
      silences.set(s.id, silence);
      return silence;
    },

    async deliveries(q) {
      return outbox
        .filter(
          (d) =>
            (q.status === undefined || d.status === q.status) &&
            (q.groupKey === undefined || d.groupKey === q.groupKey),
        )
        .slice(-q.limit)
        .reverse();
    },

    getAlert: unused('getAlert'),
    alerts: unused('alerts'),
    groups: unused('groups'),
    claimDeliveries: unused('claimDeliveries'),
    completeDelivery: unused('completeDelivery'),
    failDelivery: unused('failDelivery'),
    silences: unused('silences'),
    getSilence: unused('getSilence'),
    expireSilence: unused('expireSilence'),
    async expireDefinitionSilences(keepIds, now) {
      const keep = new Set(keepIds);
      let expired = 0;
      for (const s of silences.values()) {
        if (s.origin !== 'definitions' || s.endsAt <= now || keep.has(s.id)) continue;
        silences.set(s.id, {
          ...s,
          startsAt: Math.min(s.startsAt, now),
          endsAt: now,
          updatedAt: now,
        });
        expired++;
      }
      return expired;
    },
    prune: unused('prune'),
  };
}
