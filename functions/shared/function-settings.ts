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

export interface LazyContext<T> {
  /** The context, built on first use; a failed build is retried on the next call. */
  get(): Promise<T>;
  /** Forgets the context and gives the built one (or null) for closing. */
  take(): Promise<T | null>;
}

/** A function instance's per-instance context (store, clients), built once on first use. */
export function lazyContext<T>(build: () => Promise<T>): LazyContext<T> {
  let context: Promise<T> | null = null;
  return {
    get() {
      context ??= build().catch((e: unknown) => {
        context = null;
        throw e;
      });
      return context;
    },
    async take() {
      const pending = context;
      context = null;
      return pending === null ? null : pending.catch(() => null);
    },
  };
}
