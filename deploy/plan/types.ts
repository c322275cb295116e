/**
 * The deploy plan as data: ordered steps, each an id, a description and the exact command
 * (argv) that does it, grouped in sections in the order a first deploy runs them. The plan runs
 * nothing; render.ts prints it as text, as a shell script, or as JSON.
 */
import type { Environment } from '../../service/config/index.js';
import type { AccountRole } from '../spec/accounts.js';

/**
 * The sections, in order. A first deploy by hand runs them all; the pipeline (cloudbuild.yaml)
 * assumes `apis` to `deployer` were run once, by a person who administers the project, and runs
 * `image` onwards as runwatch-deployer, changing no project-level IAM.
 */
export const SECTIONS = [
  'apis',
  'accounts',
  'secrets',
  'registry',
  'deployer',
  'image',
  'service',
  'functions',
  'apply',
  'iam',
  'scheduler',
] as const;
export type Section = (typeof SECTIONS)[number];

export const SECTION_TITLES: Readonly<Record<Section, string>> = {
  apis: 'enable the APIs',
  accounts: "create the service accounts, and the invoker's one project-level role",
  secrets: 'create the secrets and let the accounts read them',
  registry: 'create the Artifact Registry repository',
  deployer:
    'what the pipeline may do: runwatch-deployer runs cloudbuild.yaml, runwatch-builder builds the functions',
  image: 'build and push the service image',
  service: 'deploy a tagged revision with no traffic, smoke-test it, migrate traffic',
  functions: 'package and deploy the functions (gen2)',
  apply:
    'reconciled by `npm run deploy:apply` (describe, then create or update; twice changes nothing)',
  iam: 'who may call and publish what',
  scheduler: 'the Cloud Scheduler jobs',
};

/** A value known only once earlier steps ran, written `{name}` in a step's argv. */
export interface PlanRef {
  readonly description: string;
  /** A shell expression giving it, for the script form. */
  readonly sh: string;
}

export interface PlanStep {
  readonly id: string;
  readonly section: Section;
  readonly description: string;
  readonly argv: readonly string[];
  /** The command's own environment variables, beyond the caller's. */
  readonly env?: Readonly<Record<string, string>>;
  /** Succeeds when the resource exists: then `update` runs instead of `argv`, or nothing. */
  readonly exists?: readonly string[];
  readonly update?: readonly string[];
  readonly refs?: Readonly<Record<string, PlanRef>>;
  /** The same effect as a command a reviewer may know better; shown, never run. */
  readonly equivalent?: readonly string[];
  /** Set on the steps that are one resource each of the apply command (`argv`). */
  readonly appliedBy?: 'deploy:apply';
}

/** Where and as whom one environment deploys: the plan's flags, with their defaults filled. */
export interface PlanTarget {
  readonly environment: Environment;
  readonly project: string;
  readonly projectNumber: string;
  readonly region: string;
  readonly serviceName: string;
  readonly repository: string;
  readonly imageTag: string;
  /** The published repository root the policies' runbook links resolve under; unset: none. */
  readonly runbookBaseUrl?: string | undefined;
  readonly accounts: Readonly<Record<AccountRole, string>>;
  /** Members (`user:…`, `group:…`, `serviceAccount:…`) that may call the service under iam. */
  readonly invokers: readonly string[];
}

export interface Plan {
  readonly target: PlanTarget;
  readonly steps: readonly PlanStep[];
  /** Findings a reviewer should read: the service's config warnings, what is not listed and why. */
  readonly notes: readonly string[];
  readonly monitoring:
    | { readonly available: true }
    | { readonly available: false; readonly reason: string };
}
