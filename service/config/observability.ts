/** What the service tells its operators: logs (level, format, trace names) and metrics. */
import { oneOf, text, trueOrFalse } from '../../lib/config/formats.js';
import { byEnvironment } from '../../lib/config/presets.js';
import { setting, type ValuesOf } from '../../lib/config/settings.js';
import { LOG_LEVELS, type LogLevel } from '../../lib/logger.js';

export const observabilitySettings = {
  logLevel: setting({
    env: 'LOG_LEVEL',
    doc: 'Minimum log level written to stdout.',
    format: oneOf(LOG_LEVELS),
    default: byEnvironment<LogLevel>('info', 'debug', 'debug'),
  }),
  prettyLogs: setting({
    env: 'LOG_PRETTY',
    doc: 'Human-readable logs instead of JSON. Defaults to true only in development on a TTY.',
    format: trueOrFalse,
    // null: the caller decides from the TTY.
    default: null,
    defaultDoc: '(auto)',
  }),
  project: setting({
    env: 'GOOGLE_CLOUD_PROJECT',
    doc: 'Project id, used to build Cloud Logging trace names (projects/P/traces/T).',
    format: text,
    default: null,
  }),
  metricsEnabled: setting({
    env: 'METRICS_ENABLED',
    doc: 'Serve /metrics and count HTTP requests for it. false removes the route and the per-request counting.',
    format: trueOrFalse,
    default: true,
  }),
  metricsPublic: setting({
    env: 'METRICS_PUBLIC',
    doc: 'Serve /metrics and the details of /health without the admin key. Set true for a sidecar that scrapes localhost.',
    format: trueOrFalse,
    default: byEnvironment(false, false, true),
  }),
};

export type ObservabilityConfig = ValuesOf<typeof observabilitySettings>;
