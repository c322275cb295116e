/**
 * An environment's service configuration as Cloud Run will load it: the service's own loader
 * (service/config) run on the variables the revision will carry, with K_SERVICE set as Cloud Run
 * sets it (so the platform's defaults apply, as `npm run config -- --platform cloud-run` does).
 *
 * A mounted key file does not exist here, so each key set is resolved in its value form with a
 * stand-in key of valid shape: the checks that need a key set (AUTH_MODE=api-key needs one) run
 * as they will on the revision, and the revision itself reads the real file.
 */

import { ConfigError, formatProblem } from '../../lib/config/problems.js';
import { leaves } from '../../lib/config/settings.js';
import {
  type Environment,
  loadServiceConfig,
  SERVICE_SETTINGS,
  type ServiceConfig,
} from '../../service/config/index.js';
import { SpecError } from './errors.js';
import { type DeployProfile, KEY_FILE_SETTINGS, KEY_SETS, keyFilePath } from './profiles.js';

/** Variables Cloud Run sets itself and refuses on a revision. */
export const CLOUD_RUN_RESERVED_VARIABLES = ['PORT', 'K_SERVICE', 'K_REVISION', 'K_CONFIGURATION'];

/** Variables the generator sets from the environment and project. */
const GENERATED_VARIABLES = ['ENVIRONMENT', 'GOOGLE_CLOUD_PROJECT'];

/** Stands in for a mounted key while the configuration is checked; never deployed. */
const STAND_IN_KEY = 'deploy-spec-stand-in-key';

export interface ResolvedService {
  readonly config: ServiceConfig;
  readonly warnings: readonly string[];
  /** The revision's variables, in order: ENVIRONMENT, GOOGLE_CLOUD_PROJECT, the profile's, key files. */
  readonly env: readonly (readonly [string, string])[];
}

/** One variable name per service setting, with whether it is sensitive. */
function serviceVariables(): Map<string, boolean> {
  const variables = new Map<string, boolean>();
  for (const area of Object.values(SERVICE_SETTINGS)) {
    for (const [, s] of leaves(area)) variables.set(s.env, s.sensitive);
  }
  return variables;
}

/** SPEC_ERR_PROFILE when the profile sets what it may not; every problem at once. */
export function checkProfile(profile: DeployProfile): void {
  const variables = serviceVariables();
  const keyFileVariables = new Set<string>(
    KEY_SETS.flatMap((k) => [
      KEY_FILE_SETTINGS[k].fileVariable,
      KEY_FILE_SETTINGS[k].valueVariable,
    ]),
  );
  const problems: string[] = [];
  for (const variable of Object.keys(profile.serviceEnv)) {
    if (CLOUD_RUN_RESERVED_VARIABLES.includes(variable)) {
      problems.push(`${variable}: Cloud Run sets it itself and refuses it on a revision`);
    } else if (GENERATED_VARIABLES.includes(variable)) {
      problems.push(`${variable}: the generator sets it from the environment and project`);
    } else if (keyFileVariables.has(variable)) {
      problems.push(
        `${variable}: a key set comes from Secret Manager (keySecrets), never a literal`,
      );
    } else if (!variables.has(variable)) {
      problems.push(`${variable}: not a setting of the service (docs/configuration.md)`);
    } else if (variables.get(variable) === true) {
      problems.push(`${variable}: sensitive, so it comes from Secret Manager, never a literal`);
    }
  }
  if (problems.length > 0) {
    throw new SpecError(
      'SPEC_ERR_PROFILE',
      `deploy profile ${profile.environment}: serviceEnv sets variables it may not`,
      { problems },
    );
  }
}

/** The profile's service configuration resolved for Cloud Run, in `project`. */
export function resolveService(profile: DeployProfile, project: string): ResolvedService {
  checkProfile(profile);
  const environment: Environment = profile.environment;
  const base: [string, string][] = [
    ['ENVIRONMENT', environment],
    ['GOOGLE_CLOUD_PROJECT', project],
    ...Object.entries(profile.serviceEnv).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  ];
  const mounted = KEY_SETS.filter((k) => profile.keySecrets[k] !== undefined);
  const env: [string, string][] = [
    ...base,
    ...mounted.map((k): [string, string] => [KEY_FILE_SETTINGS[k].fileVariable, keyFilePath(k)]),
  ];
  const resolution: Record<string, string> = {
    ...Object.fromEntries(base),
    ...Object.fromEntries(mounted.map((k) => [KEY_FILE_SETTINGS[k].valueVariable, STAND_IN_KEY])),
    K_SERVICE: profile.serviceName,
  };
  try {
    const { config, warnings } = loadServiceConfig(resolution);
    return { config, warnings, env };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw new SpecError(
      'SPEC_ERR_CONFIG',
      `environment ${environment}: the service refuses its configuration as resolved for Cloud Run`,
      { problems: e.problems.map(formatProblem), cause: e },
    );
  }
}
