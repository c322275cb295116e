/**
 * Trace correlation for Cloud Logging, from `X-Cloud-Trace-Context: TRACE/SPAN;o=1` (Google's
 * front end) or W3C `traceparent: 00-TRACE-SPAN-FLAGS`. Returns the `logging.googleapis.com/*`
 * keys, so the request's log lines group under its trace in the console.
 */
export interface TraceFields {
  'logging.googleapis.com/trace'?: string;
  'logging.googleapis.com/spanId'?: string;
  'logging.googleapis.com/trace_sampled'?: boolean;
}

const CLOUD_TRACE = /^([0-9a-fA-F]{32})(?:\/(\d{1,20}))?(?:;o=([01]))?$/;
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function traceFields(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  project: string | null,
): TraceFields {
  let traceId: string | undefined;
  let spanId: string | undefined;
  let sampled: boolean | undefined;
  const parent = first(headers.traceparent);
  const cloud = first(headers['x-cloud-trace-context']);
  const p = parent === undefined ? null : TRACEPARENT.exec(parent.trim());
  if (p) {
    traceId = p[1];
    spanId = p[2];
    sampled = (Number.parseInt(p[3] ?? '0', 16) & 1) === 1;
  } else {
    const c = cloud === undefined ? null : CLOUD_TRACE.exec(cloud.trim());
    if (c) {
      traceId = c[1]?.toLowerCase();
      // Cloud Trace spans are decimal; Cloud Logging wants 16 hex digits.
      spanId =
        c[2] === undefined
          ? undefined
          : BigInt.asUintN(64, BigInt(c[2])).toString(16).padStart(16, '0');
      sampled = c[3] === undefined ? undefined : c[3] === '1';
    }
  }
  if (traceId === undefined || /^0+$/.test(traceId)) return {};
  const out: TraceFields = {
    'logging.googleapis.com/trace': project ? `projects/${project}/traces/${traceId}` : traceId,
  };
  if (spanId !== undefined && !/^0+$/.test(spanId)) out['logging.googleapis.com/spanId'] = spanId;
  if (sampled !== undefined) out['logging.googleapis.com/trace_sampled'] = sampled;
  return out;
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
