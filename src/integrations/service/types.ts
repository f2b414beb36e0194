import type { z } from 'zod';
import type { EndpointPolicy } from '../../domain/endpoints.js';
import type { Redactor } from '../../logging/redactor.js';
import type { Logger } from '../../logging/logger.js';
import type { IntegrationType } from '../../config-repo/kinds/integration-v1alpha1.js';
import type { ConfigRepo } from '../../config-repo/workspace.js';
import type { KeyStore } from '../../config-repo/keys.js';
import type { IntegrationExecutor } from '../types/executor.js';
import type { RemoteTester } from '../remote-tester.js';
import type { Availability } from '../availability.js';
import type { RecipientSource } from '../recipients.js';
import type { Sharing } from '../input.js';
import type { IntegrationCheck, IntegrationTestResult } from '../types/index.js';
import type { INTEGRATION_TYPE_DEFINITIONS } from '../types/definitions.js';

/** Each registered type's settings under its section key, typed by its definition's view schema. */
export type SectionViews = {
  [D in (typeof INTEGRATION_TYPE_DEFINITIONS)[number] as D['section']]?: z.input<D['view']>;
};

/** What the API answers for one integration; secrets only as `{ set: true }` (the contract's shape). */
export type IntegrationView = {
  name: string;
  type: IntegrationType;
  description?: string;
  /** One word for the way it authenticates: ECR's auth mode, Jira's auth kind, `token` for GitHub. */
  mode: string;
  sharing: Sharing;
  placements: Array<{ scope: 'all' | 'runtime'; runtime?: string; file: string }>;
  availability: Array<Availability & { source?: 'all-runtimes' | 'runtime' }>;
  lastCommit?: { sha: string; subject: string; time: string };
  problems: Array<{ file: string; path: string; message: string; severity: string }>;
} & SectionViews;

export interface MutationResult {
  integration: IntegrationView;
  commit: string | null;
  test?: IntegrationTestResult;
}

export interface Actor {
  id: string;
  name: string;
  /** A person signed in through SSO (id `sso:<subject>`), not an API token. */
  sso?: boolean;
}

/**
 * What the service uses of the configuration repository: snapshots, one transaction per change, and
 * history. Narrower than `ConfigRepo`, so unit tests can hand in an in-memory fake (`fakes.ts`).
 */
export type IntegrationRepo = Pick<ConfigRepo, 'snapshot' | 'sync' | 'mutate' | 'lastCommit' | 'lastCommits'>;

export interface IntegrationServiceDeps {
  repo: IntegrationRepo;
  /** Where credentials may be sent (`--allow-endpoint`); default: https or loopback only. */
  endpoints?: EndpointPolicy;
  keys: KeyStore;
  executor: IntegrationExecutor;
  /** Tests on remote hybrid runtimes, run by their agents. */
  remote?: RemoteTester;
  redactor: Redactor;
  logger: Logger;
  /** Recipients pinned outside Git; sealing never takes them from the repository. */
  pins: RecipientSource;
  audit?: {
    record(event: {
      actorTokenId?: string;
      actorUser?: { id: string; name: string };
      action: string;
      target: string;
      detail?: Record<string, unknown>;
    }): Promise<unknown>;
  };
}

/** Called with each check of a connection test as it finishes (the API streams them). */
export type OnCheck = (c: IntegrationCheck) => void;
