/**
 * The traffic of a candidate revision: deployed with a tag and no traffic, next to what serves
 * now, so it can be smoke-tested on its tag's URL before any caller reaches it. What serves now
 * is read from `gcloud run services list --filter=metadata.name=<service> --format=json` (a JSON
 * array: empty when the service does not exist yet, which the first deploy is). `services
 * replace` sets the whole traffic block, so every serving revision is named with its percent;
 * other tags stay on their revisions, and the candidate tag moves to the new one.
 */
import { SpecError } from './errors.js';
import type { TrafficTarget } from './service-spec.js';

/** The tag the pipeline deploys a revision under before it gets traffic. */
export const CANDIDATE_TAG = 'candidate';

interface StatusTarget {
  readonly revisionName?: unknown;
  readonly percent?: unknown;
  readonly tag?: unknown;
}

function refuse(file: string, what: string): never {
  throw new SpecError(
    'SPEC_ERR_CURRENT_SERVICE',
    `${file}: ${what}; expected the JSON array of \`gcloud run services list --filter=metadata.name=SERVICE --format=json\``,
  );
}

/**
 * The traffic block that deploys the next revision under `tag` with no traffic, given what
 * `listed` (the list command's output, read from `file`) says serves now. With no service yet,
 * the new revision takes all traffic: there is nothing else to serve.
 */
export function candidateTraffic(
  listed: string,
  file: string,
  tag: string = CANDIDATE_TAG,
): TrafficTarget[] {
  let doc: unknown;
  try {
    doc = listed.trim() === '' ? [] : JSON.parse(listed);
  } catch {
    refuse(file, 'not JSON');
  }
  if (!Array.isArray(doc)) refuse(file, 'not an array');
  if (doc.length > 1) refuse(file, `${doc.length} services, not one`);
  const service = doc[0] as { status?: { traffic?: unknown } } | undefined;
  if (service === undefined) return [{ tag, latestRevision: true, percent: 100 }];
  const status = service.status?.traffic;
  if (!Array.isArray(status)) refuse(file, 'no status.traffic on the service');
  const kept: TrafficTarget[] = [];
  for (const [i, t] of (status as StatusTarget[]).entries()) {
    if (typeof t.revisionName !== 'string' || t.revisionName === '') {
      refuse(file, `status.traffic[${i}] has no revisionName`);
    }
    const percent = t.percent === undefined ? 0 : t.percent;
    if (typeof percent !== 'number' || !Number.isInteger(percent) || percent < 0) {
      refuse(file, `status.traffic[${i}].percent is ${JSON.stringify(t.percent)}`);
    }
    const otherTag = typeof t.tag === 'string' && t.tag !== '' && t.tag !== tag ? t.tag : undefined;
    if (percent === 0 && otherTag === undefined) continue;
    kept.push({
      revisionName: t.revisionName as string,
      percent,
      ...(otherTag === undefined ? {} : { tag: otherTag }),
    });
  }
  const total = kept.reduce((sum, t) => sum + t.percent, 0);
  if (total !== 100) refuse(file, `status.traffic sums to ${total} percent, not 100`);
  return [...kept, { tag, latestRevision: true, percent: 0 }];
}
