/**
 * Every `event` runwatch's code logs, with what it means: the names that Cloud Logging filters
 * (log-based metrics, log-match alert policies, sinks; `alerts/definitions/monitoring/`) and the
 * runbooks match on as `jsonPayload.event`. A line's `event` is part of the contract: renaming one
 * silently blinds every filter that names it, so a name is added here in the change that logs it
 * and removed in the change that stops. test/lib/log-events.unit.test.ts holds the catalogue
 * equal to the `event: '…'` literals under service/, functions/, alerts/, stack/ and lib/.
 */
export const LOG_EVENTS = {
  // The inference service (service/).
  'auth.admin_key_locked':
    'An address sent too many wrong admin keys within a minute; its admin key checks are refused (429) for the rest of the minute.',
  'auth.admin_key_rejected':
    'An admin endpoint refused a request: no admin key, or one it does not know (`reason`).',
  'config.invalid':
    'The service refused to start: a setting is invalid (one line per problem, then exit 78).',
  'config.warning':
    'The service started with a retired or deprecated setting; the line names its replacement.',
  'drain.completed':
    'The drain finished: requests drained, refused and abandoned at the deadline (WARNING when any was abandoned).',
  'drain.forced': 'A second shutdown request arrived while draining; the process exits at once.',
  'drain.started':
    'SIGTERM (or a fatal error) started the drain: readiness answers 503, the listener closes.',
  'fault.injected': 'Development only: POST /admin/faults made the model fail on demand.',
  'health.changed': 'The health monitor changed state (healthy, degraded, unhealthy, down).',
  'health.check.failed': 'A health check threw or timed out; it counts as failed.',
  'http.client_error':
    'A connection sent a request Node could not parse (bad framing, headers too large, a timeout); answered 4xx before routing.',
  'http.error':
    'A request ended in a 5xx that is not a refusal by design (shedding, draining, not ready); carries the error code.',
  'http.request': 'One line per request, with Cloud Logging httpRequest fields.',
  'http.shed_summary':
    'Load shedding refused more requests (503) than were logged one by one in this window.',
  'model.invalid':
    'The model package cannot be served (missing or malformed model.onnx / model.json); the service exits.',
  'model.ready': 'The model loaded and warmed up; the service is ready.',
  'predict.not_ready': 'A prediction arrived before the model was ready (503).',
  'process.fatal': 'An uncaught exception or unhandled rejection; the service drains and exits 1.',
  'rate_limit.store_error': 'The rate-limit Redis connection reported an error.',
  'rate_limit.store_fallback':
    "The rate-limit store stopped answering; limits are checked in the instance's memory until it does.",
  'rate_limit.store_fallback_summary':
    'The rate-limit store is still not answering: how many checks were made in memory meanwhile.',
  'rate_limit.store_recovered': 'The rate-limit store answers again; in-memory checking ended.',
  'server.listening': 'The HTTP listener is up (port, environment, platform).',
  'shutdown.completed': 'Shutdown finished with its exit code.',
  'shutdown.handler.failed': 'A shutdown handler threw or ran out of its share of the budget.',

  // The health sweep (functions/health-sweep*.ts, alerts/sweep/).
  'sweep.auth_unavailable':
    "healthSweep could not verify the caller's token (Google's certificates unreachable); answered 503.",
  'sweep.completed':
    "A sweep finished and was stored: targets, down, findings, samples. The sweeper's heartbeat.",
  'sweep.duplicate': 'A retried sweep id: the stored summary was answered, nothing ran again.',
  'sweep.event_rejected':
    'healthSweepEvent acknowledged a Pub/Sub event that is not a usable sweep trigger (never retried).',
  'sweep.failed': 'A sweep failed (a store or configuration error); the trigger is told to retry.',
  'sweep.finding': "A sweep's finding, one line per finding (ERROR when critical and firing).",
  'sweep.ingest_failed':
    'The local stack without Pub/Sub: a finding could not be handed to the in-process alert intake.',
  'sweep.probe':
    'One target probed: up, status, latency, health, and any scrape problems or dropped samples.',
  'sweep.prune_failed': 'Pruning expired trend rows after a sweep failed; the sweep is recorded.',
  'sweep.pruned': 'Expired trend rows pruned after a sweep.',
  'sweep.publish_failed':
    "A sweep's findings could not be published to alert-ingest; they are stored.",
  'sweep.published': "A sweep's findings were published to alert-ingest.",
  'sweep.schedule_refused':
    'healthSweep refused a Scheduler call whose schedule time lies in the future (400).',
  'sweep.unauthenticated': 'healthSweep refused a call without a valid OIDC token (401).',

  // Alert ingest, the engine, deliveries and alertTick (functions/alert-*.ts, alerts/).
  'alert.delivered': 'A notification was delivered to one integration of a receiver.',
  'alert.delivery_failed':
    'A delivery attempt failed: WARNING while it will be retried, ERROR when it failed for good.',
  'alert.delivery_lease_lost':
    'A delivery was sent after its lease ran out; another run may send it again.',
  'alert.delivery_run_failed':
    'A delivery run failed as a whole; the outbox keeps what is pending for the next run.',
  'alert.duplicate': 'alertIngest saw an alert it had already handed to the engine (acknowledged).',
  'alert.flush': 'The engine flushed a group with nothing to send (an all-resolved update).',
  'alert.group_full':
    'A group had its most members (`limit`) and refused a new alert (`fingerprint`); logged at the first refusal since its last notification, which counts them (`refusedAlerts`).',
  'alert.ingest_failed':
    'alertIngest failed on a message for a transient reason (store busy or down); Pub/Sub redelivers it.',
  'alert.ingested': 'alertIngest normalised an alert and handed it to the engine.',
  'alert.loop_dropped':
    'alertIngest dropped a message runwatch published itself (origin=runwatch): a wiring mistake.',
  'alert.notification': "The log notifier's line, one per alert of a group notification.",
  'alert.notification_planned':
    'The engine decided to notify a receiver about a group (with its reason).',
  'alert.poison':
    'alertIngest acknowledged a message it can never read and dead-lettered it (with its INGEST_ERR code).',
  'alert.inhibition_sources_capped':
    'A flush batch read the most inhibition sources it reads (`limit`); those past it did not mute their targets in that batch.',
  'alert.silence_invalid':
    'A stored silence has a matcher the engine refuses (a regex RE2 cannot read): it mutes nothing until replaced.',
  'alert.silence_created': 'A silence was created through the alertTick API.',
  'alert.silence_expired': 'A silence was expired through the alertTick API.',
  'alert.silences_expired':
    'A tick ended silences of the definitions file that the file no longer declares (`expired`: how many).',
  'alert.stale':
    'alertIngest recorded an alert that arrived after its own resolution; not handed off.',
  'alert.tick':
    "One alertTick run: groups flushed, notifications, deliveries, the heartbeat's state.",
  'alert.tick_failed': 'An alertTick run failed (5xx).',
  'alert.tick_refused': 'alertTick refused a call (4xx: authentication, a bad request).',
  'alert.tick_step_failed': 'One step of an alertTick run failed; the other steps still ran.',
  'heartbeat.finding':
    "alertTick's sweeper heartbeat raised or resolved SweeperAbsent (ERROR while firing).",

  // The local stack (stack/): `npm start` only.
  'relay.failed': 'The local Eventarc relay failed on a push.',
  'relay.forward_failed': 'The local Eventarc relay could not forward a push to its function.',
  'relay.forwarded': 'The local Eventarc relay forwarded a push to its function.',
  'relay.rejected': 'The local Eventarc relay refused a push it cannot turn into a CloudEvent.',
  'scheduler.failed': 'A local scheduler call failed or answered an error.',
  'scheduler.paused': 'The local scheduler was paused (SIGUSR2); no calls until it resumes.',
  'scheduler.resumed': 'The local scheduler resumed.',
  'scheduler.started': 'The local scheduler started a job (its URL and interval).',
  'scheduler.sweep': 'A local scheduler call to healthSweep succeeded.',
  'scheduler.tick': 'A local scheduler call to alertTick succeeded.',
  'stack.child_killed': 'A child still running after the stop deadline was killed (SIGKILL).',
  'stack.child_signalled': 'A child was sent SIGTERM to stop.',
  'stack.child_started': 'A child process of the stack started.',
  'stack.failed': 'The stack failed to start or a child failed; the stack stops.',
  'stack.pubsub_ensured':
    'The Pub/Sub topology was ensured on the emulator (one line per resource).',
  'stack.pubsub_off': 'The alert flow runs in-process, without Pub/Sub (the reason says why).',
  'stack.pubsub_started': 'The Pub/Sub emulator started.',
  'stack.pubsub_starting': 'The Pub/Sub emulator is starting.',
  'stack.pubsub_stop_failed': 'Stopping the Pub/Sub emulator failed.',
  'stack.ready': 'Every part of the stack is up; where each listens.',
  'stack.signal_ignored': 'A second signal arrived while the stack was already stopping.',
  'stack.stopped': "The stack stopped: its exit code and its children's exits.",
  'stack.stopping': 'The stack is stopping (a signal or a failure).',
} as const satisfies Record<string, string>;

export type LogEvent = keyof typeof LOG_EVENTS;

/** Whether `name` is an event the code logs. */
export function isLogEvent(name: string): name is LogEvent {
  return Object.hasOwn(LOG_EVENTS, name);
}
