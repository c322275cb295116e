/**
 * The URLs a deployment is reached at, known before it exists: Cloud Run's deterministic service
 * URL (`https://SERVICE-PROJECT_NUMBER.REGION.run.app`), a tagged revision's
 * (`https://TAG---SERVICE-…`), and a second-generation function's
 * (`https://REGION-PROJECT.cloudfunctions.net/NAME`, the audience its Scheduler job's OIDC token
 * carries, as in gcp-formats.md §8).
 */
export interface ServiceLocation {
  readonly serviceName: string;
  readonly projectNumber: string;
  readonly region: string;
}

export const serviceUrl = (s: ServiceLocation): string =>
  `https://${s.serviceName}-${s.projectNumber}.${s.region}.run.app`;

export const taggedUrl = (tag: string, s: ServiceLocation): string =>
  `https://${tag}---${s.serviceName}-${s.projectNumber}.${s.region}.run.app`;

export const functionUrl = (name: string, region: string, project: string): string =>
  `https://${region}-${project}.cloudfunctions.net/${name}`;
