/**
 * The OIDC check of a Scheduler-triggered HTTP function (healthSweep, alertTick): with
 * SWEEP_AUDIENCE set, the request must carry a Google-signed ID token for it from one of
 * SWEEP_INVOKER (shared/oidc.ts), else `SweepAuthError` (401) or `SweepAuthUnavailableError`
 * (503); without it nothing is checked, which the config allows on Cloud Run only behind IAM
 * (SWEEP_IAM_GUARDED). The verifier, with its certificate cache, is built once per handler.
 */
import type { Request } from '@google-cloud/functions-framework';
import type { FunctionsConfig } from './config.js';
import { type CertsProvider, createOidcVerifier, type OidcVerifier } from './oidc.js';

export function createSchedulerAuth(
  config: () => FunctionsConfig,
  certs?: CertsProvider,
): (req: Request) => Promise<void> {
  let verifier: OidcVerifier | null | undefined;
  return async (req) => {
    if (verifier === undefined) {
      const { sweepAudience, sweepInvokers } = config();
      verifier =
        sweepAudience === undefined
          ? null
          : createOidcVerifier({
              audience: sweepAudience,
              invokers: sweepInvokers,
              ...(certs === undefined ? {} : { certs }),
            });
    }
    if (verifier === null) return;
    const authorization = req.headers.authorization;
    await verifier(typeof authorization === 'string' ? authorization : undefined);
  };
}
