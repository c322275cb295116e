/**
 * What each deployable is, for packaging: its entry modules, the modules it leaves out, the data
 * it reads at run time, the packages it must never carry, and how it starts. Adding a function
 * target is one entry here (and its registration in functions/index.ts).
 */

export interface Deployable {
  /** `service`, or the function's target name. */
  readonly name: string;
  readonly kind: 'service' | 'function';
  /** Entry modules, relative to the repository root. */
  readonly entries: readonly string[];
  /** Modules reached only by a dynamic import() that this deployable does not carry. */
  readonly omit: readonly string[];
  /** Files and directories read at run time (not imported), relative to the repository root. */
  readonly data: readonly string[];
  /** Packages that reaching would be a mistake: the reason is the error message's. */
  readonly forbid: Readonly<Record<string, string>>;
  /** package.json `main` and `scripts.start`. */
  readonly main: string;
  readonly start: string;
}

/** The Functions Framework's source for every target (functions/index.ts registers them all). */
const FUNCTIONS_SOURCE = 'build/functions/index.js';

/**
 * Deployed functions use PostgreSQL (STORE_URL=postgres://…, the only kind accepted on Cloud
 * Run), so the SQLite store that alerts/store/open.ts imports on demand stays out.
 */
const SQLITE_STORE = [
  'build/alerts/store/sqlite.js',
  'build/alerts/store/sqlite-ingest.js',
  'build/alerts/store/sqlite-engine.js',
];

const FUNCTION_FORBIDS = {
  'onnxruntime-node': 'the model runtime belongs to the service',
  'better-sqlite3': 'deployed functions use PostgreSQL',
};

/**
 * The function targets; each package holds the whole source (one module registers every
 * target) and starts only its own. Settings and definitions are read from the working
 * directory, which is the package root when deployed.
 */
export const FUNCTION_TARGETS = [
  'healthSweep',
  'healthSweepEvent',
  'alertIngest',
  'alertTick',
] as const;

function functionDeployable(target: string): Deployable {
  return {
    name: target,
    kind: 'function',
    entries: [FUNCTIONS_SOURCE],
    omit: SQLITE_STORE,
    data: ['alerts/definitions'],
    forbid: FUNCTION_FORBIDS,
    main: FUNCTIONS_SOURCE,
    start: `functions-framework --target=${target}`,
  };
}

export const SERVICE: Deployable = {
  name: 'service',
  kind: 'service',
  entries: ['build/service/main.js'],
  omit: [],
  // MODEL_PATH's default (service/config/model.ts).
  data: ['models/emotion-ekman'],
  forbid: {
    'better-sqlite3': 'the service keeps no store',
    pg: 'the service keeps no store',
    '@google-cloud/functions-framework': 'the service is served by fastify',
  },
  main: 'build/service/main.js',
  start: 'node build/service/main.js',
};

export const DEPLOYABLES: readonly Deployable[] = [
  SERVICE,
  ...FUNCTION_TARGETS.map(functionDeployable),
];

export function deployableNamed(name: string): Deployable | undefined {
  return DEPLOYABLES.find((d) => d.name === name);
}
