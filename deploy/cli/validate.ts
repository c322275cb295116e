/**
 * `npm run deploy:validate [-- --root DIR]`: checks every alerting-as-code definition
 * (alerts/definitions/monitoring/, or DIR) against the Cloud APIs' protos and the rules of
 * docs/alerting-as-code.md, offline. Prints one line per resource (`ok` or `FAIL`, its kind, id
 * and what identifies it in the project), every problem under its file, and a summary. Exits 0
 * when every definition is valid, 1 otherwise (a bad argument included).
 */
import { parseArgs } from 'node:util';
import type { MonitoringDefinitionError } from '../monitoring/errors.js';
import { validateMonitoringDefinitions } from '../monitoring/load.js';
import { DEFAULT_MONITORING_ROOT, MONITORING_FOLDERS } from '../monitoring/read.js';
import { MONITORING_KINDS } from '../monitoring/types.js';

const USAGE = 'usage: npm run deploy:validate [-- --root <definitions directory>]';

function main(argv: readonly string[]): number {
  let root = DEFAULT_MONITORING_ROOT;
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: { root: { type: 'string' } },
      strict: true,
    });
    if (values.root !== undefined) root = values.root;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 1;
  }

  const report = validateMonitoringDefinitions(root);
  const byFile = new Map<string, MonitoringDefinitionError[]>();
  for (const p of report.problems) byFile.set(p.file, [...(byFile.get(p.file) ?? []), p]);
  const out: string[] = [];
  const shown = new Set<string>();
  const show = (status: string, what: string, file: string) => {
    out.push(`${status.padEnd(4)} ${what}`);
    for (const p of byFile.get(file) ?? []) out.push(`       ${p.code}: ${p.message}`);
    shown.add(file);
  };
  let resources = 0;
  for (const kind of MONITORING_KINDS) {
    for (const def of report.definitions[kind]) {
      resources++;
      const name = def.resource.displayName ?? def.resource.name;
      const label = typeof name === 'string' ? ` ${JSON.stringify(name)}` : '';
      show(
        byFile.has(def.file) ? 'FAIL' : 'ok',
        `${MONITORING_FOLDERS[kind]}/${def.id}${label}`,
        def.file,
      );
    }
  }
  for (const file of byFile.keys()) if (!shown.has(file)) show('FAIL', file, file);
  const failed = [...byFile.keys()].length;
  out.push(
    report.problems.length === 0
      ? `${resources} definition(s) valid`
      : `${report.problems.length} problem(s) in ${failed} file(s); ${resources} definition(s) read`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
  return report.problems.length === 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
