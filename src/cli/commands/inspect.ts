import type { Command } from 'commander';
import { InspectFacts } from '../../contract/image-answers.js';
import { InputError } from '../../domain/errors.js';
import { printJson, stdio, type Output } from '../output.js';
import { clientFor } from './common.js';
import { humanSize } from './images.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

function print(out: Output, f: InspectFacts): void {
  out.out(`${f.registry}/${f.repository}@${f.digest}`);
  out.out(`  media type: ${f.mediaType}`);
  out.out(`  size:       ${humanSize(f.size)}`);
  const created = f.config?.created ?? f.createdAt;
  if (created) out.out(`  created:    ${created}`);
  out.out(
    `  tags:       ${f.tags?.length ? f.tags.join(', ') : '-'}${f.tagsPartial ? ' (first 200 tags checked)' : ''}`,
  );
  if (f.config?.labelsFrom)
    out.out(
      `  labels of:  ${f.config.labelsFrom.platform} ${f.config.labelsFrom.digest} (an index has no config)`,
    );
  for (const p of f.platforms)
    out.out(`  platform:   ${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''} ${p.digest}`);
  out.out(`  layers:     ${f.layers.length}`);
  for (const r of f.referrers) out.out(`  referrer:   ${r.kind} ${r.digest}${r.tag ? ` (${r.tag})` : ''}`);
}

export function registerInspect(program: Command): void {
  program
    .command('inspect <ref>')
    .description(
      'registry facts of one image (digest, platforms, config, layers, referrers); nothing is stored',
    )
    .option('--registry-integration <name>', 'look the image up on the server through this integration (ECR)')
    .option('--runtime <name>', 'with --registry-integration: the runtime to run on')
    .option(
      '--creds <user:pass>',
      'registry credentials (prefer --creds-stdin: argv is visible to other users)',
    )
    .option('--creds-stdin', 'read USER:PASS from standard input')
    .option('--plain-http', 'talk plain HTTP to the registry (default only for localhost)')
    .option('--json', 'print JSON')
    .action(
      async (
        ref: string,
        o: {
          registryIntegration?: string;
          runtime?: string;
          creds?: string;
          credsStdin?: boolean;
          plainHttp?: boolean;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        const out = stdio(Boolean(o.json));
        if (o.registryIntegration) {
          if (o.creds || o.credsStdin)
            throw new InputError('Use either --registry-integration or --creds, not both.');
          const facts = await (
            await clientFor(cmd)
          ).call(InspectFacts, 'POST', '/api/v1/inspect', {
            image: ref,
            registryIntegration: o.registryIntegration,
            ...(o.runtime ? { runtime: o.runtime } : {}),
          });
          return out.json ? printJson(out, facts) : print(out, facts);
        }
        // A generic v2 registry, straight from this process: no server, no AWS SDK.
        const [
          { parseReference, defaultRegistryEndpoint },
          { RegistryClient },
          { inspectImage },
          { tagsOfDigest },
        ] = await Promise.all([
          import('../../integrations/registry/oci/reference.js'),
          import('../../integrations/registry/oci/client.js'),
          import('../../integrations/registry/oci/inspect.js'),
          import('../../integrations/registry/oci/tags-of.js'),
        ]);
        const parsed = parseReference(ref);
        if (o.creds)
          process.stderr.write(
            'warning: --creds puts the password in the process list; prefer --creds-stdin.\n',
          );
        const creds = o.credsStdin
          ? await readStdin()
          : (o.creds ?? process.env['IMAGETRAIL_REGISTRY_CREDS']);
        let auth: ConstructorParameters<typeof RegistryClient>[0]['auth'] = { kind: 'none' };
        if (creds) {
          const i = creds.indexOf(':');
          if (i <= 0) throw new InputError('Registry credentials must be USER:PASSWORD.');
          auth = { kind: 'basic', username: creds.slice(0, i), password: creds.slice(i + 1) };
        }
        const endpoint = o.plainHttp ? `http://${parsed.registry}` : defaultRegistryEndpoint(parsed.registry);
        const client = new RegistryClient({ endpoint, auth });
        const facts = await inspectImage(client, parsed, { referrers: { cosign: 'list' } });
        const { tags, partial } = await tagsOfDigest(client, parsed.repository, facts.digest);
        const withTags = { ...facts, tags, ...(partial ? { tagsPartial: true } : {}) };
        return out.json ? printJson(out, withTags) : print(out, withTags);
      },
    );
}
