/**
 * A function instance's configuration and logger, loaded once on first use. `settings()` throws
 * the `ConfigError` again on every call while the configuration is invalid; `log()` always works,
 * falling back to an INFO logger, so that a handler can report even that.
 */
import { createLogger, type Logger } from '../../lib/logger.js';
import { type FunctionRole, type FunctionsConfig, loadFunctionsConfig } from './config.js';

export interface FunctionSettings {
  readonly config: FunctionsConfig;
  readonly log: Logger;
}

export interface SettingsSource {
  settings(): FunctionSettings;
  log(): Logger;
}

export function functionSettings(
  functionName: string,
  options: {
    readonly env?: Readonly<Record<string, string | undefined>> | undefined;
    readonly log?: Logger | undefined;
  },
  role: FunctionRole,
): SettingsSource {
  let settings: FunctionSettings | null = null;
  let fallbackLog: Logger | null = null;
  const load = (): FunctionSettings => {
    if (settings === null) {
      const config = loadFunctionsConfig(options.env, role);
      const log =
        options.log ?? createLogger({ level: config.logLevel, base: { function: functionName } });
      settings = { config, log };
    }
    return settings;
  };
  return {
    settings: load,
    log() {
      try {
        return load().log;
      } catch {
        fallbackLog ??=
          options.log ?? createLogger({ level: 'info', base: { function: functionName } });
        return fallbackLog;
      }
    },
  };
}
