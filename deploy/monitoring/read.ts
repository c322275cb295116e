/**
 * Reads the definition files of alerts/definitions/monitoring/ into `MonitoringDefinitions`:
 * one folder per kind (`channels/`, `log-metrics/`, `sinks/`, `policies/`), one resource per
 * `<id>.yaml` (the id is kebab-case: it is the key the deploy reconciles by), one YAML document
 * per file, a mapping at its top. Nothing here knows the protos: a file that parses is returned
 * as written, and every file that does not is one MONITORING_DEFS_ERR_UNREADABLE problem, so a
 * caller sees all of them at once. Only `node:fs` and `yaml`: deploy/monitoring/known-alerts.ts reads
 * the policies' alertnames through here without loading the validator.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, visit } from 'yaml';
import { MONITORING_DEFS_ERR_UNREADABLE, MonitoringDefinitionError } from './errors.js';
import { isRecord } from './paths.js';
import {
  MONITORING_KINDS,
  type MonitoringDefinition,
  type MonitoringDefinitions,
  type MonitoringKind,
} from './types.js';

/** The repository root (this module is build/deploy/monitoring/read.js). */
export const REPOSITORY_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Where the committed definitions are. */
export const DEFAULT_MONITORING_ROOT = join(REPOSITORY_ROOT, 'alerts/definitions/monitoring');

/** The folder of each kind under the root. */
export const MONITORING_FOLDERS: Readonly<Record<MonitoringKind, string>> = {
  channels: 'channels',
  logMetrics: 'log-metrics',
  sinks: 'sinks',
  policies: 'policies',
};

/** A definition's id: its file's stem. */
export const DEFINITION_ID_PATTERN = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

export interface ReadResult {
  readonly definitions: MonitoringDefinitions;
  /** MONITORING_DEFS_ERR_UNREADABLE problems; their files are not in `definitions`. */
  readonly problems: readonly MonitoringDefinitionError[];
}

/**
 * How messages name a file: relative to the repository root when it lies inside the repository
 * (`alerts/definitions/monitoring/policies/x.yaml`), else relative to `root` (`policies/x.yaml`).
 */
export function fileLabel(root: string, path: string): string {
  const inRepo = relative(REPOSITORY_ROOT, path);
  if (!inRepo.startsWith('..') && !isAbsolute(inRepo)) return inRepo;
  return relative(root, path);
}

function unreadable(file: string, message: string): MonitoringDefinitionError {
  return new MonitoringDefinitionError(
    MONITORING_DEFS_ERR_UNREADABLE,
    file,
    '',
    `${file}: ${message}`,
  );
}

function readOne(file: string, path: string): Record<string, unknown> | MonitoringDefinitionError {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return unreadable(file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const docs = parseAllDocuments(text, { prettyErrors: true });
  if (docs.length === 0) return unreadable(file, 'is empty; expected one resource');
  if (docs.length !== 1) {
    return unreadable(file, `holds ${docs.length} YAML documents; expected one resource per file`);
  }
  const [doc] = docs;
  const error = doc?.errors[0];
  if (doc === undefined || error !== undefined) {
    const at = error?.linePos?.[0];
    const where = at === undefined ? '' : ` at line ${at.line}, column ${at.col}`;
    const reason = (error?.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:$/, '');
    return unreadable(file, `is not valid YAML${where}: ${reason}`);
  }
  let aliased = false;
  visit(doc, {
    Alias: () => {
      aliased = true;
      return visit.BREAK;
    },
  });
  if (aliased) {
    // A definition is read as written, and a small file cannot expand into a large one.
    return unreadable(file, 'uses a YAML alias (*name); expected every value written out');
  }
  const value: unknown = doc.toJS();
  if (!isRecord(value)) {
    return unreadable(file, 'does not hold a mapping; expected one resource (proto3 JSON as YAML)');
  }
  return value;
}

/** Every definition under `root`, and every file that could not be read as one. */
export function readMonitoringDefinitions(root: string = DEFAULT_MONITORING_ROOT): ReadResult {
  const problems: MonitoringDefinitionError[] = [];
  const definitions: Record<MonitoringKind, MonitoringDefinition[]> = {
    channels: [],
    logMetrics: [],
    sinks: [],
    policies: [],
  };
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    problems.push(unreadable(root, 'is not a directory; expected the monitoring definitions'));
    return { definitions, problems };
  }
  const folders = new Set(Object.values(MONITORING_FOLDERS));
  for (const entry of readdirSync(root).sort()) {
    if (!folders.has(entry)) {
      problems.push(
        unreadable(
          fileLabel(root, join(root, entry)),
          `is not a definitions folder; expected only ${[...folders].join('/, ')}/`,
        ),
      );
    }
  }
  for (const kind of MONITORING_KINDS) {
    const dir = join(root, MONITORING_FOLDERS[kind]);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const file = fileLabel(root, path);
      const id = name.endsWith('.yaml') ? name.slice(0, -'.yaml'.length) : null;
      if (id === null || !DEFINITION_ID_PATTERN.test(id) || !statSync(path).isFile()) {
        problems.push(
          unreadable(file, 'is not a definition file; expected <id>.yaml with a kebab-case id'),
        );
        continue;
      }
      const resource = readOne(file, path);
      if (resource instanceof MonitoringDefinitionError) problems.push(resource);
      else definitions[kind].push({ id, file, resource });
    }
  }
  return { definitions, problems };
}
