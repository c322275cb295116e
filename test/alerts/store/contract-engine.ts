/**
 * The engine store contract (migrations 8 and 9), run by `storeContract` against both dialects:
 * receive and group membership (the member cap and its refusals), flush commits (log, outbox,
 * timer, deletion), the outbox's claim order and leases, silences (the cap on those not ended,
 * definitions ones no longer declared), pruning, and two instances flushing one group, or adding
 * silences, at once.
 */
import type { TestFn } from 'ava';
import type { AlertRow } from '../../../alerts/engine/alert-state.js';
import type { GroupNotification, IntegrationConfig } from '../../../alerts/engine/types.js';
import type { SourceFilter } from '../../../alerts/store/engine-sources.js';
import type {
  EngineStore,
  FlushChanges,
  FlushState,
  GroupTarget,
} from '../../../alerts/store/engine-store.js';
import { MIN, type StoreFactory, T0 } from './contract-fixtures.js';

const row = (fp: string, over: Partial<AlertRow> = {}): AlertRow => ({
  fingerprint: fp,
  source: 'runwatch',
  labels: { alertname: 'InferDown', target: fp },
  annotations: { summary: `${fp} down` },
  startsAt: T0,
  endsAt: null,
  lifecycle: false,
  lastEventAt: T0,
  receivedAt: T0,
  state: 'firing',
  stateSince: T0,
  firedAt: T0,
  ...over,
});

const group = (key: string, firstFlushAt = T0 + 30_000): GroupTarget => ({
  groupKey: key,
  routeId: '0',
  receiver: 'default',
  groupLabels: { alertname: 'InferDown' },
  firstFlushAt,
});

const LOG: IntegrationConfig = { type: 'log' };

/** The member cap of receives that are not about it: never reached. */
const MAX_MEMBERS = 1_000;

const notification = (id: string, groupKey: string, at = T0): GroupNotification => ({
  id,
  groupKey,
  receiver: 'default',
  status: 'firing',
  reason: 'first notification',
  groupLabels: { alertname: 'InferDown' },
  commonLabels: { alertname: 'InferDown' },
  commonAnnotations: {},
  alerts: [],
  createdAt: at,
});

/** A flush that notifies once per call, to `integrations` integrations. */
const notifyOnce =
  (id: string, integrations = 1, at = T0) =>
  (s: FlushState): FlushChanges => ({
    alerts: [],
    remove: [],
    deleteGroup: false,
    nextFlushAt: at + 5 * MIN,
    log: { firing: s.members.map((m) => m.fingerprint), resolved: [], at },
    outbox: Array.from({ length: integrations }, (_, i) => ({
      id: `${id}/${i}`,
      notification: notification(id, s.group.groupKey, at),
      integrationIndex: i,
      integration: LOG,
    })),
    refusedReported: 0,
  });

async function seed(engine: EngineStore, fp: string, key: string, firstFlushAt = T0) {
  return engine.receive(
    { fingerprint: fp, groups: [group(key, firstFlushAt)], now: T0, maxMembers: MAX_MEMBERS },
    () => row(fp),
  );
}

export function engineContract(
  test: TestFn,
  title: (what: string) => string,
  factory: StoreFactory,
): void {
  const t_ = (what: string) => title(`engine: ${what}`);

  test(
    t_('receive stores the alert, opens its group and says when the group is due'),
    async (t) => {
      const { engine } = await factory.stores();
      const later = await engine.receive(
        { fingerprint: 'a', groups: [group('g1', T0 + 30_000)], now: T0, maxMembers: MAX_MEMBERS },
        (prev) => {
          t.is(prev, null);
          return row('a');
        },
      );
      t.deepEqual(later, { changed: true, due: [], refused: [] });
      t.deepEqual(await engine.getAlert('a'), row('a'));
      const [g] = await engine.groups(10);
      t.like(g, { groupKey: 'g1', receiver: 'default', nextFlushAt: T0 + 30_000, log: null });
      const now = await engine.receive(
        { fingerprint: 'b', groups: [group('g2', T0)], now: T0, maxMembers: MAX_MEMBERS },
        () => row('b'),
      );
      t.deepEqual(now.due, ['g2']);
      t.deepEqual(
        (await engine.alerts(10)).map((a) => [a.alert.fingerprint, a.groups]),
        [
          ['a', ['g1']],
          ['b', ['g2']],
        ],
      );
    },
  );

  test(
    t_('receive passes the stored row to the step and a null step changes nothing'),
    async (t) => {
      const { engine } = await factory.stores();
      await seed(engine, 'a', 'g1');
      let seen: AlertRow | null = null;
      const r = await engine.receive(
        { fingerprint: 'a', groups: [group('g9')], now: T0, maxMembers: MAX_MEMBERS },
        (prev) => {
          seen = prev;
          return null;
        },
      );
      t.deepEqual(r, { changed: false, due: [], refused: [] });
      t.deepEqual(seen, row('a'));
      t.deepEqual(
        (await engine.groups(10)).map((g) => g.groupKey),
        ['g1'],
      );
    },
  );

  test(t_('a group joined again keeps its timer; an existing group is not reset'), async (t) => {
    const { engine } = await factory.stores();
    await seed(engine, 'a', 'g1', T0 + 30_000);
    await engine.receive(
      { fingerprint: 'b', groups: [group('g1', T0 + 99_000)], now: T0, maxMembers: MAX_MEMBERS },
      () => row('b'),
    );
    const [g] = await engine.groups(10);
    t.is(g?.nextFlushAt, T0 + 30_000);
  });

  test(t_('flush of a group not yet due or unknown decides nothing'), async (t) => {
    const { engine } = await factory.stores();
    await seed(engine, 'a', 'g1', T0 + 30_000);
    t.is(await engine.flush('g1', T0, () => t.fail() as never), null);
    t.is(await engine.flush('nope', T0 + MIN, () => t.fail() as never), null);
  });

  test(
    t_('flush commits the log, the timer, state changes and one outbox row per integration'),
    async (t) => {
      const { engine } = await factory.stores();
      await seed(engine, 'a', 'g1');
      await seed(engine, 'b', 'g1');
      const changes = await engine.flush('g1', T0, (s) => {
        t.deepEqual(
          s.members.map((m) => m.fingerprint),
          ['a', 'b'],
        );
        return {
          ...notifyOnce('n1', 2)(s),
          alerts: [{ ...row('a'), state: 'resolved', stateSince: T0 + 1 }],
          remove: ['a'],
        };
      });
      t.is(changes?.outbox.length, 2);
      const [g] = await engine.groups(10);
      t.deepEqual(g?.log, { firing: ['a', 'b'], resolved: [], at: T0 });
      t.is(g?.nextFlushAt, T0 + 5 * MIN);
      t.like(await engine.getAlert('a'), { state: 'resolved', stateSince: T0 + 1 });
      t.deepEqual(
        (await engine.alerts(10)).map((a) => [a.alert.fingerprint, a.groups]),
        [
          ['a', []],
          ['b', ['g1']],
        ],
      );
      const pending = await engine.deliveries({ status: 'pending', limit: 10 });
      t.deepEqual(pending.map((d) => d.id).sort(), ['n1/0', 'n1/1']);
      t.like(pending[0], { groupKey: 'g1', receiver: 'default', attempts: 0 });
      t.deepEqual(pending[0]?.notification, notification('n1', 'g1'));
    },
  );

  test(
    t_('active alerts are the firing and pending ones of every group, without annotations'),
    async (t) => {
      const { engine } = await factory.stores();
      await seed(engine, 'a', 'g1');
      await engine.receive(
        { fingerprint: 'z', groups: [group('g2')], now: T0, maxMembers: MAX_MEMBERS },
        () => row('z', { state: 'pending' }),
      );
      await engine.receive(
        { fingerprint: 'r', groups: [group('g2')], now: T0, maxMembers: MAX_MEMBERS },
        () => row('r', { state: 'resolved' }),
      );
      await engine.receive({ fingerprint: 'y', groups: [], now: T0, maxMembers: MAX_MEMBERS }, () =>
        row('y'),
      );
      const active = await engine.activeAlerts({ filter: null, limit: 100 });
      t.deepEqual(active.map((a) => a.fingerprint).sort(), ['a', 'y', 'z']);
      t.deepEqual(
        active.find((a) => a.fingerprint === 'z'),
        { ...row('z', { state: 'pending' }), annotations: {} },
      );
    },
  );

  test(
    t_(
      'active alerts pass the source filter in the query: a value among the listed, a missing label as empty',
    ),
    async (t) => {
      const { engine } = await factory.stores();
      const put = (fp: string, labels: Record<string, string>) =>
        engine.receive({ fingerprint: fp, groups: [], now: T0, maxMembers: MAX_MEMBERS }, () =>
          row(fp, { labels }),
        );
      await put('down', { alertname: 'InferDown', target: 'a' });
      await put('absent', { alertname: 'InferTargetAbsent', target: 'b' });
      await put('other', { alertname: 'InferLatencyHigh', target: 'a' });
      await put('bare', { alertname: 'Quoted' });
      await put('env', { alertname: 'Quoted', 'zone:name': 'eu' });
      await put('quoted', { alertname: 'Quoted', 'zone:name': `it's "eu"` });
      await engine.receive(
        { fingerprint: 'gone', groups: [], now: T0, maxMembers: MAX_MEMBERS },
        () => row('gone', { state: 'resolved' }),
      );
      const read = async (filter: SourceFilter) =>
        (await engine.activeAlerts({ filter, limit: 100 })).map((a) => a.fingerprint).sort();
      t.deepEqual(
        await read([[{ name: 'alertname', values: ['InferDown', 'InferTargetAbsent'] }]]),
        ['absent', 'down'],
      );
      // Two entries: either passes. A label the alert lacks has the empty value.
      t.deepEqual(
        await read([
          [{ name: 'alertname', values: ['InferDown'] }],
          [
            { name: 'alertname', values: ['Quoted'] },
            { name: 'zone:name', values: ['', `it's "eu"`] },
          ],
        ]),
        ['bare', 'down', 'quoted'],
      );
      t.deepEqual(await read([]), []);
      t.deepEqual(await read(null), ['absent', 'bare', 'down', 'env', 'other', 'quoted']);
    },
  );

  test(
    t_(
      'active alerts come firing first, then pending, each longest in its state first, up to the limit',
    ),
    async (t) => {
      const { engine } = await factory.stores();
      const put = (fp: string, over: Partial<AlertRow>) =>
        engine.receive({ fingerprint: fp, groups: [], now: T0, maxMembers: MAX_MEMBERS }, () =>
          row(fp, over),
        );
      await put('p-old', { state: 'pending', stateSince: T0 - 9 * MIN, firedAt: null });
      await put('f-new', { stateSince: T0 });
      await put('p-new', { state: 'pending', stateSince: T0, firedAt: null });
      await put('f-old', { stateSince: T0 - 5 * MIN });
      await put('f-mid', { stateSince: T0 - 2 * MIN });
      const read = async (limit: number) =>
        (await engine.activeAlerts({ filter: null, limit })).map((a) => a.fingerprint);
      t.deepEqual(await read(100), ['f-old', 'f-mid', 'f-new', 'p-old', 'p-new']);
      t.deepEqual(await read(2), ['f-old', 'f-mid']);
      t.deepEqual(await read(4), ['f-old', 'f-mid', 'f-new', 'p-old']);
    },
  );

  test(t_('flush tells every group each member is in'), async (t) => {
    const { engine } = await factory.stores();
    await seed(engine, 'a', 'g1');
    await engine.receive(
      { fingerprint: 'a', groups: [group('g2'), group('g3')], now: T0, maxMembers: MAX_MEMBERS },
      () => row('a'),
    );
    await seed(engine, 'b', 'g1');
    await engine.flush('g1', T0, (s) => {
      t.deepEqual([...s.memberships.entries()].sort(), [
        ['a', ['g1', 'g2', 'g3']],
        ['b', ['g1']],
      ]);
      return notifyOnce('n')(s);
    });
  });

  test(
    t_('flush deleting the group drops it and its members; the next alert opens it anew'),
    async (t) => {
      const { engine } = await factory.stores();
      await seed(engine, 'a', 'g1');
      await engine.flush('g1', T0, (s) => ({ ...notifyOnce('n1')(s), deleteGroup: true }));
      t.deepEqual(await engine.groups(10), []);
      await engine.receive(
        { fingerprint: 'a', groups: [group('g1', T0 + 7)], now: T0, maxMembers: MAX_MEMBERS },
        () => row('a'),
      );
      const [g] = await engine.groups(10);
      t.like(g, { nextFlushAt: T0 + 7, log: null });
    },
  );

  test(
    t_('a full group refuses new alerts, counts them, and keeps its members and their events'),
    async (t) => {
      const { engine } = await factory.stores();
      const receive = (fp: string, keys: readonly string[], over: Partial<AlertRow> = {}) =>
        engine.receive(
          { fingerprint: fp, groups: keys.map((k) => group(k, T0)), now: T0, maxMembers: 2 },
          () => row(fp, over),
        );
      await receive('a', ['g1']);
      await receive('b', ['g1']);
      t.deepEqual(await receive('c', ['g1']), {
        changed: false,
        due: [],
        refused: [{ groupKey: 'g1', receiver: 'default', refused: 1 }],
      });
      t.is(await engine.getAlert('c'), null, 'a new alert no group takes is not stored');
      t.deepEqual((await receive('d', ['g1'])).refused, [
        { groupKey: 'g1', receiver: 'default', refused: 2 },
      ]);
      t.deepEqual(
        await receive('a', ['g1'], { annotations: { summary: 'still down' } }),
        { changed: true, due: ['g1'], refused: [] },
        'a member is never refused',
      );
      t.like(await engine.getAlert('a'), { annotations: { summary: 'still down' } });
      t.deepEqual(
        await receive('e', ['g1', 'g2']),
        {
          changed: true,
          due: ['g2'],
          refused: [{ groupKey: 'g1', receiver: 'default', refused: 3 }],
        },
        'joins the group with room',
      );
      t.deepEqual(
        (await engine.alerts(10)).map((a) => [a.alert.fingerprint, a.groups]),
        [
          ['a', ['g1']],
          ['b', ['g1']],
          ['e', ['g2']],
        ],
      );
      await engine.flush('g1', T0, (s) => {
        t.deepEqual(
          s.members.map((m) => m.fingerprint),
          ['a', 'b'],
        );
        t.is(s.group.refused, 3);
        return { ...notifyOnce('n1')(s), remove: ['a'], refusedReported: 2 };
      });
      t.like(
        (await engine.groups(10)).find((g) => g.groupKey === 'g1'),
        { refused: 1 },
      );
      t.deepEqual(
        await receive('c', ['g1']),
        { changed: true, due: [], refused: [] },
        'room again once a member left',
      );
      t.like(await engine.getAlert('c'), { state: 'firing' });
    },
  );

  test(t_('alerts lists at most `limit` alerts, each with its groups'), async (t) => {
    const { engine } = await factory.stores();
    for (const fp of ['a', 'b', 'c']) {
      await engine.receive(
        { fingerprint: fp, groups: [group('g1'), group('g2')], now: T0, maxMembers: MAX_MEMBERS },
        () => row(fp),
      );
    }
    t.deepEqual(
      (await engine.alerts(2)).map((a) => [a.alert.fingerprint, a.groups]),
      [
        ['a', ['g1', 'g2']],
        ['b', ['g1', 'g2']],
      ],
    );
  });

  test(
    t_('deliveries of one group and integration are claimed in order, one at a time'),
    async (t) => {
      const { engine } = await factory.stores();
      await seed(engine, 'a', 'g1');
      await engine.flush('g1', T0, notifyOnce('n1', 2));
      await engine.flush('g1', T0 + 5 * MIN, notifyOnce('n2', 2, T0 + 5 * MIN));
      const now = T0 + 5 * MIN;
      const first = await engine.claimDeliveries(now, 60_000, 10);
      t.deepEqual(first.map((d) => d.id).sort(), ['n1/0', 'n1/1']);
      t.true(first.every((d) => d.attempts === 1 && d.leaseUntil === now + 60_000));
      t.deepEqual(await engine.claimDeliveries(now, 60_000, 10), [], 'held and in line');
      t.true(await engine.completeDelivery('n1/0', now + 60_000, now));
      const second = await engine.claimDeliveries(now, 60_000, 10);
      t.deepEqual(
        second.map((d) => d.id),
        ['n2/0'],
        'n2/1 waits behind n1/1',
      );
      t.false(await engine.completeDelivery('n1/0', now + 60_000, now), 'already delivered');
    },
  );

  test(
    t_('an expired lease can be claimed again and the old lease no longer completes'),
    async (t) => {
      const { engine } = await factory.stores();
      await seed(engine, 'a', 'g1');
      await engine.flush('g1', T0, notifyOnce('n1'));
      const [d] = await engine.claimDeliveries(T0, 1000, 10);
      t.deepEqual(await engine.claimDeliveries(T0 + 999, 1000, 10), []);
      const [again] = await engine.claimDeliveries(T0 + 1000, 1000, 10);
      t.is(again?.id, 'n1/0');
      t.is(again?.attempts, 2);
      t.false(await engine.completeDelivery('n1/0', d?.leaseUntil ?? 0, T0 + 1500));
      t.true(await engine.completeDelivery('n1/0', again?.leaseUntil ?? 0, T0 + 1500));
      const [done] = await engine.deliveries({ limit: 10 });
      t.like(done, { status: 'delivered', deliveredAt: T0 + 1500, leaseUntil: null });
    },
  );

  test(
    t_('a failed delivery is pending again from its retry time, or failed for good'),
    async (t) => {
      const { engine } = await factory.stores();
      await seed(engine, 'a', 'g1');
      await engine.flush('g1', T0, notifyOnce('n1', 2));
      const claimed = await engine.claimDeliveries(T0, 1000, 10);
      const lease = T0 + 1000;
      t.true(
        await engine.failDelivery('n1/0', lease, {
          code: 'NOTIFY_ERR_HTTP_STATUS',
          message: '503',
          retryAt: T0 + 10_000,
        }),
      );
      t.true(
        await engine.failDelivery('n1/1', lease, {
          code: 'NOTIFY_ERR_HTTP_STATUS',
          message: '404',
          retryAt: null,
        }),
      );
      t.is(claimed.length, 2);
      t.deepEqual(await engine.claimDeliveries(T0 + 9_999, 1000, 10), []);
      t.deepEqual(
        (await engine.claimDeliveries(T0 + 10_000, 1000, 10)).map((d) => d.id),
        ['n1/0'],
      );
      const [failed] = await engine.deliveries({ status: 'failed', limit: 10 });
      t.like(failed, { id: 'n1/1', lastErrorCode: 'NOTIFY_ERR_HTTP_STATUS', lastError: '404' });
    },
  );

  test(t_('two instances flushing one group at once commit one notification'), async (t) => {
    const [a, b] = await factory.storesPair();
    await seed(a.engine, 'x', 'g1');
    // Each decision notifies only when the log is empty, as the engine's dedup does.
    const once = (id: string) => (s: FlushState) =>
      s.group.log === null ? notifyOnce(id)(s) : { ...notifyOnce(id)(s), outbox: [], log: null };
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 === 0 ? a : b).engine.flush('g1', T0, once(`n${i}`)),
      ),
    );
    t.is(results.filter((r) => (r?.outbox.length ?? 0) > 0).length, 1);
    t.is((await a.engine.deliveries({ limit: 10 })).length, 1);
  });

  test(t_('silences are put, listed by window, replaced by id and expired'), async (t) => {
    const { engine } = await factory.stores();
    const spec = {
      id: 's1',
      matchers: [{ name: 'target', op: '=' as const, value: 'prod' }],
      startsAt: T0,
      endsAt: T0 + 60 * MIN,
      createdBy: 'ana',
      comment: 'deploy',
      origin: 'api' as const,
    };
    const put = await engine.putSilence(spec, T0);
    t.like(put, { ...spec, createdAt: T0, updatedAt: T0 });
    await engine.putSilence({ ...spec, comment: 'longer deploy' }, T0 + 1);
    t.like(await engine.getSilence('s1'), {
      comment: 'longer deploy',
      createdAt: T0,
      updatedAt: T0 + 1,
    });
    t.deepEqual(
      (await engine.silences({ now: T0, limit: 10 })).map((s) => s.id),
      ['s1'],
    );
    t.true(await engine.expireSilence('s1', T0 + MIN));
    t.false(await engine.expireSilence('s1', T0 + MIN), 'already ended');
    t.false(await engine.expireSilence('nope', T0));
    t.deepEqual(await engine.silences({ now: T0 + MIN, limit: 10 }), []);
    t.like((await engine.silences({ now: T0 + MIN, all: true, limit: 10 }))[0], {
      endsAt: T0 + MIN,
    });
  });

  const apiSilence = (id: string, startsAt = T0, endsAt = T0 + 60 * MIN) => ({
    id,
    matchers: [{ name: 'target', op: '=' as const, value: id }],
    startsAt,
    endsAt,
    createdBy: 'ana',
    comment: id,
    origin: 'api' as const,
  });

  test(
    t_('addSilence adds up to maxActive silences not ended, of any origin, then refuses'),
    async (t) => {
      const { engine } = await factory.stores();
      await engine.putSilence(apiSilence('ended', T0 - 2 * MIN, T0 - MIN), T0 - 2 * MIN);
      await engine.putSilence({ ...apiSilence('declared'), origin: 'definitions' }, T0);
      t.like(await engine.addSilence(apiSilence('a1'), T0, 3), { id: 'a1', createdAt: T0 });
      t.like(await engine.addSilence(apiSilence('later', T0 + MIN), T0, 3), { id: 'later' });
      t.is(await engine.addSilence(apiSilence('a2'), T0, 3), null, 'three have not ended');
      t.is(await engine.getSilence('a2'), null, 'nothing written');
      t.true(await engine.expireSilence('a1', T0 + 1));
      t.like(await engine.addSilence(apiSilence('a2'), T0 + 1, 3), { id: 'a2' });
      t.deepEqual((await engine.silences({ now: T0 + 1, limit: 10 })).map((s) => s.id).sort(), [
        'a2',
        'declared',
        'later',
      ]);
    },
  );

  test(t_('two instances adding silences at once never pass maxActive'), async (t) => {
    const [a, b] = await factory.storesPair();
    const added = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (i % 2 === 0 ? a : b).engine.addSilence(apiSilence(`c${i}`), T0, 5),
      ),
    );
    t.is(added.filter((s) => s !== null).length, 5);
    t.is((await a.engine.silences({ now: T0, limit: 20 })).length, 5);
  });

  test(
    t_('definitions silences not kept are expired; kept ones, API ones and ended ones are not'),
    async (t) => {
      const { engine } = await factory.stores();
      const silence = (
        id: string,
        origin: 'api' | 'definitions',
        startsAt = T0,
        endsAt = T0 + 60 * MIN,
      ) => ({
        id,
        matchers: [{ name: 'target', op: '=' as const, value: id }],
        startsAt,
        endsAt,
        createdBy: 'ops',
        comment: id,
        origin,
      });
      await engine.putSilence(silence('kept', 'definitions'), T0);
      await engine.putSilence(silence('gone', 'definitions'), T0);
      await engine.putSilence(silence('later', 'definitions', T0 + 10 * MIN), T0);
      await engine.putSilence(silence('ended', 'definitions', T0, T0 + 30_000), T0);
      await engine.putSilence(silence('by-hand', 'api'), T0);
      const at = T0 + MIN;
      t.is(await engine.expireDefinitionSilences(['kept', 'by-hand'], at), 2);
      t.like(await engine.getSilence('gone'), { startsAt: T0, endsAt: at, updatedAt: at });
      t.like(await engine.getSilence('later'), { startsAt: at, endsAt: at }, 'a future one too');
      t.like(await engine.getSilence('kept'), { endsAt: T0 + 60 * MIN, updatedAt: T0 });
      t.like(await engine.getSilence('ended'), { endsAt: T0 + 30_000, updatedAt: T0 });
      t.like(await engine.getSilence('by-hand'), { endsAt: T0 + 60 * MIN }, 'not from the file');
      t.deepEqual(
        (await engine.silences({ now: at, limit: 10 })).map((s) => s.id),
        ['by-hand', 'kept'],
      );
      t.is(await engine.expireDefinitionSilences(['kept'], at), 0, 'nothing left to expire');
      // A file with no silences ends every definitions silence; many kept ids fit one call.
      const many = Array.from({ length: 5000 }, (_, i) => `keep-${i}`);
      t.is(await engine.expireDefinitionSilences(many, at + 1), 1);
      t.is(await engine.expireDefinitionSilences([], at + 2), 0);
      t.like(await engine.getSilence('kept'), { endsAt: at + 1 });
      // Put back (the file declares it again), it is active again.
      await engine.putSilence(silence('kept', 'definitions'), at + 3);
      t.like(await engine.getSilence('kept'), { endsAt: T0 + 60 * MIN, updatedAt: at + 3 });
    },
  );

  test(
    t_('prune deletes resolved alerts in no group and settled deliveries, nothing else'),
    async (t) => {
      const { engine } = await factory.stores();
      await seed(engine, 'a', 'g1');
      await engine.receive({ fingerprint: 'r', groups: [], now: T0, maxMembers: MAX_MEMBERS }, () =>
        row('r', { state: 'resolved', stateSince: T0 }),
      );
      await engine.flush('g1', T0, notifyOnce('n1'));
      const [d] = await engine.claimDeliveries(T0, 1000, 10);
      await engine.completeDelivery('n1/0', d?.leaseUntil ?? 0, T0);
      t.is(await engine.prune(T0 + 1, 100), 2);
      t.deepEqual(
        (await engine.alerts(10)).map((a) => a.alert.fingerprint),
        ['a'],
      );
      t.deepEqual(await engine.deliveries({ limit: 10 }), []);
    },
  );
}
