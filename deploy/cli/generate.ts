/**
 * `npm run deploy:generate` writes the committed service specs, `deploy/<env>/service.yaml` for
 * every environment (deploy/spec/render.ts). Two subcommands render what one deploy needs:
 *
 *   npm run deploy:generate -- service --env ENV --project P --image IMAGE --out FILE
 *       [--service NAME] [--service-account EMAIL] [--current-service FILE [--tag TAG]]
 *   npm run deploy:generate -- sweep-targets --env ENV --project-number N --region R
 *       --out FILE [--out FILE ...] [--service NAME]
 *
 * `service` fills the spec's placeholders; with `--current-service` (the JSON of `gcloud run
 * services list --filter=metadata.name=SERVICE`) the new revision gets the tag and no traffic,
 * and what serves now keeps serving. `sweep-targets` writes the deployed sweep's targets file.
 * Exits 0 when written, 1 on a spec error (its code and message on stderr), 2 on a usage error.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENVIRONMENTS } from '../../service/config/index.js';
import { accountEmail } from '../spec/accounts.js';
import { SPEC_EXIT_FAILED, SPEC_EXIT_USAGE, SpecError } from '../spec/errors.js';
import { DEPLOY_PROFILES } from '../spec/profiles.js';
import { committedServiceYamls, deployServiceYaml, PLACEHOLDERS } from '../spec/render.js';
import { resolveService } from '../spec/resolve.js';
import { ALL_TO_LATEST } from '../spec/service-spec.js';
import { sweepTargetsYaml } from '../spec/sweep-targets.js';
import { CANDIDATE_TAG, candidateTraffic } from '../spec/traffic.js';
import { environmentOf, parseCommandLine, runCommand, writeOutput } from './args.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const USAGE = `usage: npm run deploy:generate [-- service|sweep-targets OPTIONS]
  (no subcommand)  write deploy/<env>/service.yaml for ${ENVIRONMENTS.join(', ')}
  service          --env ENV --project P --image IMAGE --out FILE [--service NAME]
                   [--service-account EMAIL] [--current-service FILE [--tag TAG]]
  sweep-targets    --env ENV --project-number N --region R --out FILE [--out FILE ...]
                   [--service NAME]`;

const usage = (what: string): SpecError => new SpecError('SPEC_ERR_USAGE', `${what}\n${USAGE}`);

const OPTIONS = {
  env: { type: 'string' },
  project: { type: 'string' },
  'project-number': { type: 'string' },
  region: { type: 'string' },
  image: { type: 'string' },
  service: { type: 'string' },
  'service-account': { type: 'string' },
  'current-service': { type: 'string' },
  tag: { type: 'string' },
  out: { type: 'string', multiple: true },
} as const;

function required(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw usage(`--${name} is required`);
  return v;
}

function run(argv: readonly string[]): string[] {
  const { values, positionals } = parseCommandLine(argv, OPTIONS, usage);
  const [command, ...rest] = positionals;
  if (rest.length > 0) throw usage(`unexpected arguments: ${rest.join(' ')}`);
  const outs = values.out ?? [];
  if (command === undefined) {
    if (argv.length > 0) throw usage(`options without a subcommand: ${argv.join(' ')}`);
    const written: string[] = [];
    for (const [path, text] of committedServiceYamls()) {
      writeOutput(join(ROOT, path), text);
      written.push(path);
    }
    return written;
  }
  const environment = environmentOf(values.env, usage);
  const profile = DEPLOY_PROFILES[environment];
  const serviceName = values.service ?? profile.serviceName;
  if (outs.length === 0) throw usage('--out is required');
  if (command === 'service') {
    if (outs.length > 1) throw usage('service takes one --out');
    const project = required(values, 'project');
    const current = values['current-service'];
    if (values.tag !== undefined && current === undefined) {
      throw usage('--tag needs --current-service (the revision that serves now keeps serving)');
    }
    const traffic =
      current === undefined
        ? ALL_TO_LATEST
        : candidateTraffic(readFileSync(current, 'utf8'), current, values.tag ?? CANDIDATE_TAG);
    const text = deployServiceYaml(
      environment,
      {
        project,
        image: required(values, 'image'),
        serviceAccount: values['service-account'] ?? accountEmail('service', project),
        serviceName,
      },
      traffic,
    );
    writeOutput(outs[0] as string, text);
    return outs;
  }
  if (command === 'sweep-targets') {
    const { config } = resolveService(profile, PLACEHOLDERS.project);
    const text = sweepTargetsYaml(profile, config, {
      serviceName,
      projectNumber: required(values, 'project-number'),
      region: required(values, 'region'),
    });
    for (const out of outs) writeOutput(out, text);
    return outs;
  }
  throw usage(`unknown subcommand ${JSON.stringify(command)}`);
}

await runCommand(
  () =>
    run(process.argv.slice(2))
      .map((path) => `wrote ${path}\n`)
      .join(''),
  (e): e is SpecError => e instanceof SpecError,
  (code) => (code === 'SPEC_ERR_USAGE' ? SPEC_EXIT_USAGE : SPEC_EXIT_FAILED),
);
