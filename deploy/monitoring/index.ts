/**
 * Alerting as code: the definitions of alerts/definitions/monitoring/, checked against the Cloud
 * APIs' protos and resolved per environment (docs/alerting-as-code.md). What deploy/plan and
 * deploy/apply import.
 */
export { checkMonitoringDefinitions, VALIDATION_CONTEXT } from './check.js';
export {
  MONITORING_DEFINITION_ERRORS,
  MonitoringDefinitionError,
  MonitoringDefinitionsError,
} from './errors.js';
export {
  loadMonitoringDefinitions,
  resolveMonitoringDefinitions,
  type ValidationReport,
  validateMonitoringDefinitions,
} from './load.js';
export { checkMonitoringContext, PLACEHOLDERS } from './placeholders.js';
export { checkProto3Json } from './proto-json.js';
export { RESOURCE_PROTOS, resourceTypes } from './proto-types.js';
export { DEFAULT_MONITORING_ROOT, MONITORING_FOLDERS, readMonitoringDefinitions } from './read.js';
export * from './types.js';
