import type { ECRClient } from '@aws-sdk/client-ecr';
import type { FinalizeHandlerArguments } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { enrichEcrImage } from '../../../enrichment/ecr-enricher.js';
import { Redactor } from '../../../logging/redactor.js';
import { parseReference } from '../oci/reference.js';
import { LruCache } from '../oci/cache.js';
import { EcrClientCache, type ClientRequest } from './clients.js';
import { EcrImageLookup } from './images.js';

// Which ECR API endpoint the SDK resolves for each registry host form. A hook at the end of the SDK's
// middleware stack records the request's host and stops it there, so nothing leaves the process.
// Expected endpoints: AWS service endpoints for ECR (`api.ecr[-fips].<region>.<dnsSuffix>`, dual-stack
// `ecr[-fips].<region>.api.aws`; ecr-sts-iam.md §1.1, "endpoint-rule-set-1.json").

class Stopped extends Error {
  override name = 'StoppedBeforeSending';
}

/** An EcrClientCache whose ECR clients record the host of every request and never send it. */
class RecordingClients extends EcrClientCache {
  readonly hosts: string[] = [];
  private readonly hooked = new WeakSet<ECRClient>();
  override ecr(req: ClientRequest): ECRClient {
    const c = super.ecr(req);
    if (!this.hooked.has(c)) {
      this.hooked.add(c);
      c.middlewareStack.add(
        () => (args: FinalizeHandlerArguments<object>) => {
          this.hosts.push((args.request as { hostname: string }).hostname);
          return Promise.reject(new Stopped('recorded'));
        },
        { step: 'finalizeRequest', priority: 'low', name: 'recordHost' },
      );
    }
    return c;
  }
}

const A = '123456789012';

describe('ECR API endpoint per registry host', () => {
  it.each([
    [`${A}.dkr.ecr.eu-west-1.amazonaws.com`, 'api.ecr.eu-west-1.amazonaws.com'],
    [`${A}.dkr.ecr-fips.us-east-1.amazonaws.com`, 'api.ecr-fips.us-east-1.amazonaws.com'],
    [`${A}.dkr.ecr-fips.us-gov-west-1.amazonaws.com`, 'api.ecr-fips.us-gov-west-1.amazonaws.com'],
    [`${A}.dkr-ecr.us-east-1.on.aws`, 'ecr.us-east-1.api.aws'],
    [`${A}.dkr-ecr-fips.us-east-1.on.aws`, 'ecr-fips.us-east-1.api.aws'],
    [`${A}.dkr.ecr.cn-north-1.amazonaws.com.cn`, 'api.ecr.cn-north-1.amazonaws.com.cn'],
    [`${A}.dkr-ecr.cn-north-1.on.amazonwebservices.com.cn`, 'ecr.cn-north-1.api.amazonwebservices.com.cn'],
    [`${A}.dkr.ecr.us-iso-east-1.c2s.ic.gov`, 'api.ecr.us-iso-east-1.c2s.ic.gov'],
    [`${A}.dkr.ecr.us-isob-east-1.sc2s.sgov.gov`, 'api.ecr.us-isob-east-1.sc2s.sgov.gov'],
    [`${A}.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk`, 'api.ecr.eu-isoe-west-1.cloud.adc-e.uk'],
    [`${A}.dkr.ecr.us-isof-south-1.csp.hci.ic.gov`, 'api.ecr.us-isof-south-1.csp.hci.ic.gov'],
    [`${A}.dkr.ecr.eusc-de-east-1.amazonaws.eu`, 'api.ecr.eusc-de-east-1.amazonaws.eu'],
  ])('a report of %s calls %s', async (registry, apiHost) => {
    const redactor = new Redactor();
    const clients = new RecordingClients({ redactor, maxAttempts: 1 });
    const deps = {
      clients,
      lookup: new EcrImageLookup(clients),
      redactor,
      configs: new LruCache<never>(),
      registries: new Map(),
      tagLists: new Map(),
    };
    const target = {
      ref: parseReference(`${registry}/team/app:1.0`),
      region: 'eu-west-1', // the integration's region; the image host's wins
      auth: {
        mode: 'accessKey' as const,
        accessKeyId: 'AKIAEXAMPLEEXAMPLE01',
        secretAccessKey: 'not-a-real-secret',
      },
      runtime: { name: 'local', ambient: null },
    };
    await expect(enrichEcrImage(target, deps, () => undefined)).rejects.toThrow(/recorded/);
    // BatchGetImage, DescribeImages and (for the tag list, which goes out alongside them and may still be
    // on its way when the enrichment fails) GetAuthorizationToken, all to the endpoint the host implies.
    expect(clients.hosts.length).toBeGreaterThanOrEqual(2);
    expect(new Set(clients.hosts)).toEqual(new Set([apiHost]));
    clients.destroy();
  });

  it('an API endpoint override wins over the FIPS / dual-stack flags (the SDK refuses both together)', async () => {
    const redactor = new Redactor();
    const clients = new RecordingClients({ redactor, maxAttempts: 1 });
    const req: ClientRequest = {
      credentials: { key: 'k', provider: () => Promise.resolve({ accessKeyId: 'a', secretAccessKey: 'b' }) },
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      fips: true,
      dualStack: true,
    };
    await expect(clients.authorizationToken({ ...req, registryHost: 'x', refresh: true })).rejects.toThrow(
      /recorded/,
    );
    expect(clients.hosts).toEqual(['127.0.0.1']);
    clients.destroy();
  });
});
