/**
 * The alert engine's vocabulary: its configuration (routing tree, receivers, inhibition, silences,
 * flap control; loaded from `alerts/definitions/alerting.yaml`), the alerts it tracks and the
 * group notifications it hands to notifiers through its outbox. Alertmanager's meanings
 * throughout (docs/alerts.md, "Alert engine"); times are epoch ms, durations ms.
 */
import type { AlertSource } from '../types.js';

/** Alertmanager's matcher operators; `=~` and `!~` match the whole value (anchored). */
export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
}

/** `'...'` in the definitions: group by every label (one group per alert). */
export type GroupBy = readonly string[] | 'all';

/** A node of the routing tree, with what it inherits from its parent already applied. */
export interface Route {
  /**
   * The route's identity across definitions changes, part of every group key: 16 hex digits
   * hashing its matcher path (its own matchers and its ancestors', each level's as a set), its
   * receiver and its group_by (routes.ts `routeId`). Inserting, removing or reordering other
   * routes, or changing its timers or `continue`, leaves it (and its groups) as they are;
   * changing what it matches or where it sends makes it another route, with new groups.
   */
  readonly id: string;
  readonly receiver: string;
  /** All must match (the root's list is empty: it matches everything). */
  readonly matchers: readonly Matcher[];
  readonly groupBy: GroupBy;
  /** After this route matches, go on to its next siblings (Alertmanager's `continue`). */
  readonly continue: boolean;
  readonly groupWaitMs: number;
  readonly groupIntervalMs: number;
  readonly repeatIntervalMs: number;
  readonly routes: readonly Route[];
}

/** Alertmanager's route defaults (alerting-anchors.md §1.1). */
export const ROUTE_DEFAULTS = {
  groupWaitMs: 30_000,
  groupIntervalMs: 300_000,
  repeatIntervalMs: 4 * 3_600_000,
} as const;

export const DEFAULT_RESOLVE_TIMEOUT_MS = 300_000;

/**
 * A target alert is muted while a firing source alert matches the source matchers and has the
 * same value (missing and empty count as equal) for every `equal` label. An alert never
 * inhibits itself.
 */
export interface InhibitRule {
  readonly sourceMatchers: readonly Matcher[];
  readonly targetMatchers: readonly Matcher[];
  readonly equal: readonly string[];
}

/** Where a secret is: an environment variable or a mounted file (Secret Manager on Cloud Run). */
export type SecretRef = { readonly env: string } | { readonly file: string };

export type IntegrationConfig =
  | { readonly type: 'log' }
  | {
      readonly type: 'pubsub';
      /** A topic id from `alerts/definitions/pubsub.yaml`; default the `alerts` topic. */
      readonly topic: string;
    }
  | {
      readonly type: 'webhook';
      /** Never a literal in the definitions: a URL may carry a token (Slack's do). */
      readonly url: SecretRef;
      /** `alertmanager`: Alertmanager's webhook v4 body; `slack`: an incoming-webhook message. */
      readonly format: 'alertmanager' | 'slack';
      /** One attempt's timeout. */
      readonly timeoutMs: number;
      /** Attempts per delivery run, retrying 5xx and timeouts only, with backoff. */
      readonly maxAttempts: number;
      /** At most this many alerts in a body (0: all); the rest are counted in truncatedAlerts. */
      readonly maxAlerts: number;
    };

export interface ReceiverConfig {
  readonly name: string;
  /**
   * Whether notifications show resolved alerts. Without it a notification shows firing alerts
   * only, so neither "some alerts resolved" nor "all alerts resolved" sends anything (the group's
   * log is still updated), as Alertmanager's integrations drop resolved alerts.
   */
  readonly sendResolved: boolean;
  /** Each gets its own outbox row per notification; one failing never blocks another. */
  readonly integrations: readonly IntegrationConfig[];
}

/**
 * Flap control for the alerts a matcher set selects (the first entry that matches wins; the
 * defaults apply to the rest): a firing alert becomes active only after `forMs` of firing, stays
 * firing `keepFiringForMs` after it resolves, and its state flips at most once per
 * `minFlipIntervalMs`.
 */
export interface FlapControl {
  readonly matchers: readonly Matcher[];
  readonly forMs: number;
  readonly keepFiringForMs: number;
  readonly minFlipIntervalMs: number;
}

export interface SilenceSpec {
  readonly matchers: readonly Matcher[];
  readonly startsAt: number;
  readonly endsAt: number;
  readonly createdBy: string;
  readonly comment: string;
}

export interface Silence extends SilenceSpec {
  readonly id: string;
  /** `definitions`: from the definitions file (kept in step with it); `api`: made by a person. */
  readonly origin: 'definitions' | 'api';
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface EngineConfig {
  /** An alert without `endsAt` resolves this long after it was last received. */
  readonly resolveTimeoutMs: number;
  readonly route: Route;
  readonly receivers: ReadonlyMap<string, ReceiverConfig>;
  readonly inhibitRules: readonly InhibitRule[];
  readonly flapControl: readonly FlapControl[];
  readonly flapDefaults: Omit<FlapControl, 'matchers'>;
  /** Silences the definitions file declares (synchronised into the store by id). */
  readonly silences: readonly (SilenceSpec & { readonly id: string })[];
}

/** Alertmanager's dedup reasons (alerting-anchors.md §1.2), the `notification_reason`. */
export type NotificationReason =
  | 'first notification'
  | 'new alerts added'
  | 'some alerts resolved'
  | 'all alerts resolved'
  | 'repeat interval elapsed';

/** One alert as a notification shows it. */
export interface AlertSnapshot {
  /** 16 hex digits: FNV-1a 64 of the sorted labels, as Alertmanager's (fingerprint.ts). */
  readonly fingerprint: string;
  readonly status: 'firing' | 'resolved';
  readonly source: AlertSource;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly startsAt: number;
  /** Null while firing. */
  readonly endsAt: number | null;
}

/** What one flush of one group decided to send to its receiver. */
export interface GroupNotification {
  /** Unique per notification, the same on every delivery attempt: receivers may dedupe on it. */
  readonly id: string;
  /** `<route id>:{<group labels>}`, e.g. `5f0c2a9e81d3b74c:{alertname="InferDown",target="prod"}`. */
  readonly groupKey: string;
  readonly receiver: string;
  /** `firing` while any alert in it fires. */
  readonly status: 'firing' | 'resolved';
  readonly reason: NotificationReason;
  readonly groupLabels: Readonly<Record<string, string>>;
  /** Labels (annotations) every alert in it has with the same value. */
  readonly commonLabels: Readonly<Record<string, string>>;
  readonly commonAnnotations: Readonly<Record<string, string>>;
  /** Firing first, then resolved; each by startsAt, then fingerprint. */
  readonly alerts: readonly AlertSnapshot[];
  /**
   * Alerts the group refused since its last notification because it was full (engine.ts
   * `MAX_GROUP_MEMBERS`): not in `alerts`, counted here. Absent when none.
   */
  readonly refusedAlerts?: number;
  readonly createdAt: number;
}

/**
 * A notifier failed: `retryable` (5xx, a timeout, a transport error, an unconfirmed publish)
 * keeps the outbox row pending for the next delivery run; otherwise it is failed for good and
 * visible as such.
 */
export interface DeliveryFailure {
  readonly retryable: boolean;
  /** A stable code, e.g. NOTIFY_ERR_HTTP_STATUS. */
  readonly code: string;
  readonly message: string;
}

/**
 * One integration of one receiver. `send` resolves when the notification was delivered and
 * rejects with a `NotifyError` (alerts/notifiers/errors.ts) when it was not; it never takes longer
 * than `deadlineMs` in all (its own retries included) and stops early on `signal`.
 */
export interface Notifier {
  /** `log`, `pubsub`, `webhook`: the integration type. */
  readonly type: IntegrationConfig['type'];
  send(
    notification: GroupNotification,
    options: { readonly deadlineMs: number; readonly signal?: AbortSignal },
  ): Promise<void>;
}
