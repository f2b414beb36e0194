import type { Command } from 'commander';
import { Registration, RuntimeAdded, RuntimeList, RuntimeView } from '../../contract/admin-answers.js';
import { printJson, stdio, table } from '../output.js';
import { clientFor } from './common.js';
import { TOKEN_OUTPUT_HELP, TokenFile, issuingInto, printRegistration, withoutToken } from './token-file.js';

export function registerRuntime(program: Command): void {
  const rt = program.command('runtime').description('manage runtimes (where registry work runs)');

  registerAdd(rt);
  registerToken(rt);
  registerList(rt);
  registerShow(rt);
}

export function short(sha: string | null | undefined): string {
  return sha ? sha.slice(0, 12) : '(no change)';
}

function registerAdd(rt: Command): void {
  rt.command('add <name>')
    .description('declare a runtime in the shared configuration repository')
    .requiredOption(
      '--type <type>',
      'hybrid (your infrastructure, your cloud identity) or hosted (no cloud identity)',
    )
    .requiredOption('--version <semver>', "the runtime's version, e.g. 0.1.27")
    .option(
      '--recipient <age1…>',
      "the runtime's age public key (default: generate a key pair; the private key stays in the data directory)",
    )
    .option('--description <text>', 'free text')
    .option('--output <file>', TOKEN_OUTPUT_HELP)
    .option('--json', 'print JSON')
    .action(async (name: string, o: Record<string, string | boolean | undefined>, cmd: Command) => {
      const out = stdio(Boolean(o['json']));
      const client = await clientFor(cmd);
      const file = await TokenFile.create(o['output'] as string | undefined);
      const res = await issuingInto(
        file,
        () =>
          client.call(RuntimeAdded, 'POST', '/api/v1/runtimes', {
            name,
            type: o['type'],
            version: o['version'],
            ...(o['recipient'] ? { recipient: o['recipient'] } : {}),
            ...(o['description'] ? { description: o['description'] } : {}),
          }),
        (r) => r.registration,
      );
      if (out.json) {
        const { registration, ...rest } = res;
        return printJson(
          out,
          registration ? { ...rest, registration: withoutToken(registration, file) } : res,
        );
      }
      out.out(
        `Runtime ${name} (${res.runtime.type} ${res.runtime.version}) added in commit ${short(res.commit)}.`,
      );
      if (res.registration) printRegistration(out, res.registration, client.baseUrl, file);
      else if (res.keyFile)
        out.err(
          `Its private age identity is in ${res.keyFile} (mode 0600): move it to where the runtime runs.`,
        );
    });
}

function registerToken(rt: Command): void {
  rt.command('token <name>')
    .description("issue a one-time registration token for a remote hybrid runtime's agent")
    .option('--ttl <seconds>', 'how long the token may be used', '3600')
    .option('--output <file>', TOKEN_OUTPUT_HELP)
    .option('--json', 'print JSON')
    .action(async (name: string, o: { ttl: string; output?: string; json?: boolean }, cmd: Command) => {
      const out = stdio(Boolean(o.json));
      const client = await clientFor(cmd);
      const file = await TokenFile.create(o.output);
      const res = await issuingInto(
        file,
        () =>
          client.call(
            Registration,
            'POST',
            `/api/v1/runtimes/${encodeURIComponent(name)}/registration-tokens`,
            {
              ttlSeconds: Number(o.ttl),
            },
          ),
        (r) => r,
      );
      if (out.json) return printJson(out, withoutToken(res, file));
      printRegistration(out, res, client.baseUrl, file);
    });
}

function registerList(rt: Command): void {
  rt.command('list')
    .description('list runtimes')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const out = stdio(Boolean(o.json));
      const { items } = await (await clientFor(cmd)).call(RuntimeList, 'GET', '/api/v1/runtimes');
      if (out.json) return printJson(out, items);
      out.out(
        table([
          ['NAME', 'TYPE', 'VERSION', 'IN-PROCESS', 'AGENTS', 'QUEUED', 'INTEGRATIONS'],
          ...items.map((r) => [
            r.name,
            r.type,
            r.version,
            r.inProcess ? 'yes' : 'no',
            r.agents ? `${r.agents.filter((a) => a.connected).length}/${r.agents.length}` : '-',
            r.queue ? String(r.queue.queued) : '-',
            r.integrations.map((i) => (i.available ? i.name : `${i.name} (unavailable)`)).join(', ') || '-',
          ]),
        ]),
      );
    });
}

function registerShow(rt: Command): void {
  rt.command('show <name>')
    .description('show a runtime and the integrations it can use')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { json?: boolean }, cmd: Command) => {
      const out = stdio(Boolean(o.json));
      const r = await (
        await clientFor(cmd)
      ).call(RuntimeView, 'GET', `/api/v1/runtimes/${encodeURIComponent(name)}`);
      if (out.json) return printJson(out, r);
      out.out(
        `Runtime:   ${r.name}\nType:      ${r.type}\nVersion:   ${r.version}\nRecipient: ${r.recipient}\nIn-process: ${r.inProcess ? 'yes' : 'no'}`,
      );
      if (r.agents) {
        out.out(`Queued:    ${r.queue?.queued ?? 0}${r.waiting ? ` (${r.waiting})` : ''}`);
        out.out('Agents:');
        if (r.agents.length === 0) out.out(`  (none; register one with: imagetrail runtime token ${r.name})`);
        for (const a of r.agents) {
          out.out(
            `  ${a.connected ? '●' : '○'} ${a.id} ${a.version} ${a.leftAt ? `stopped at ${a.leftAt}` : `last seen ${a.lastSeenAt}`}${a.awsIdentityArn ? ` as ${a.awsIdentityArn}` : ' (no AWS identity)'}`,
          );
        }
      }
      out.out('Integrations:');
      if (r.integrations.length === 0) out.out('  (none)');
      for (const i of r.integrations) {
        out.out(
          `  ${i.available ? '✔' : '✘'} ${i.name} (${i.mode}, from ${i.source})${i.reason ? ` — ${i.reason}` : ''}`,
        );
      }
    });
}
