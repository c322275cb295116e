/** The table of URLs the supervisor prints once the stack is ready (plain text, stdout). */

export interface StackInfo {
  /** Base URL of the service, e.g. http://127.0.0.1:8080 */
  readonly serviceUrl: string;
  /** healthSweep's URL, e.g. http://127.0.0.1:8081/ */
  readonly sweepUrl: string;
  readonly pids: {
    readonly stack: number;
    readonly service: number;
    readonly sweep: number;
    readonly ingest: number;
    readonly tick: number;
  };
  /** alertIngest's URL, e.g. http://127.0.0.1:8082/ */
  readonly ingestUrl: string;
  /** alertTick's URL, e.g. http://127.0.0.1:8083/ */
  readonly tickUrl: string;
  /** The scheduler job that calls alertTick. */
  readonly tickJob: string;
  /** The emulator and what pushes to alertIngest, or why the alert flow runs without Pub/Sub. */
  readonly pubsub:
    | {
        readonly host: string;
        /** Null when PUBSUB_EMULATOR_HOST named an emulator the stack did not start. */
        readonly pid: number | null;
        readonly logFile: string | null;
        readonly topic: string;
        /** The Eventarc relay's endpoint the emulator pushes to. */
        readonly relay: string;
      }
    | { readonly off: string };
  /** The scheduler job that calls healthSweep; both jobs run every `intervalMs`. */
  readonly job: string;
  readonly intervalMs: number;
  readonly maxSilenceMs: number;
  /** What healthSweep probes: the target names and URLs. */
  readonly targets: readonly { readonly name: string; readonly url: string }[];
  /** STORE_URL (password redacted) and, for SQLite, the file. */
  readonly store: string;
  readonly storeFile: string | null;
}

/** 15000 → `15 s`, 1500 → `1.5 s`, 250 → `250 ms`. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

function pubsubRows(pubsub: StackInfo['pubsub']): [string, string, string][] {
  if ('off' in pubsub)
    return [['pubsub', `off: findings go to ingest in-process (${pubsub.off})`, '']];
  return [
    [
      'pubsub',
      `emulator ${pubsub.host}`,
      pubsub.pid === null ? 'PUBSUB_EMULATOR_HOST' : `pid ${pubsub.pid}, log ${pubsub.logFile}`,
    ],
    ['', `${pubsub.topic} → push ${pubsub.relay} (Eventarc relay) → alertIngest`, ''],
  ];
}

export function renderStackTable(info: StackInfo): string {
  const s = info.serviceUrl;
  const rows: [string, string, string][] = [
    ['service', `${s}/`, `pid ${info.pids.service}`],
    ['predict', `POST ${s}/predict`, `{"text": "..."}`],
    [
      'docs',
      `${s}/openapi.json`,
      'OpenAPI 3 document (no UI; docs/service.md lists the endpoints)',
    ],
    ['metrics', `${s}/metrics`, 'Prometheus text'],
    ['health', `${s}/health`, '/health/ready, /health/live, /health/startup'],
    ['healthSweep', `POST ${info.sweepUrl}`, `Functions Framework, pid ${info.pids.sweep}`],
    [
      'alertIngest',
      `POST ${info.ingestUrl}`,
      `CloudEvents (Eventarc binary mode), pid ${info.pids.ingest}`,
    ],
    [
      'alertTick',
      `POST ${info.tickUrl}`,
      `the engine's tick; GET alerts, silences, deliveries; pid ${info.pids.tick}`,
    ],
    ...pubsubRows(info.pubsub),
    ...info.targets.map((t, i): [string, string, string] => [
      i === 0 ? 'targets' : '',
      t.url,
      t.name,
    ]),
    [
      'scheduler',
      `${info.job} every ${formatMs(info.intervalMs)}`,
      `kill -USR2 ${info.pids.stack} pauses / resumes the sweeps`,
    ],
    ['', `${info.tickJob} every ${formatMs(info.intervalMs)}`, ''],
    [
      'heartbeat',
      `SweeperAbsent after ${formatMs(info.maxSilenceMs)} without a sweep`,
      'checked by alertTick',
    ],
    ['store', info.store, info.storeFile ?? ''],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.filter((r) => r[2] !== '').map((r) => r[1].length));
  const lines = rows.map(([a, b, c]) =>
    `  ${a.padEnd(w0)}  ${c === '' ? b : `${b.padEnd(w1)}  ${c}`}`.trimEnd(),
  );
  return [
    '',
    `runwatch local stack is ready (supervisor pid ${info.pids.stack})`,
    '',
    ...lines,
    '',
    '  Ctrl-C stops everything; the service drains first.',
    '',
  ].join('\n');
}
