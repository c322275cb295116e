/**
 * Where a deployable runs, from the variables each platform sets for it: Cloud Run sets
 * K_SERVICE, Kubernetes sets KUBERNETES_SERVICE_HOST. convict reads variables into values; which
 * platform set them is decided here, the same way for the service, the functions and the stack.
 */
export const PLATFORMS = ['cloud-run', 'kubernetes', 'local'] as const;
export type Platform = (typeof PLATFORMS)[number];

export function detectPlatform(env: Readonly<Record<string, string | undefined>>): Platform {
  if (env.K_SERVICE) return 'cloud-run';
  if (env.KUBERNETES_SERVICE_HOST) return 'kubernetes';
  return 'local';
}
