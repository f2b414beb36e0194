import type { Command } from 'commander';
import { InputError, NotFoundError } from '../../domain/errors.js';
import { printJson, stdio, table } from '../output.js';
import { clientFor } from './common.js';
import { showReport } from './reports.js';
import { ImageDetail, ImageList } from '../../contract/image-answers.js';

export function humanSize(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

const REF_WITH_DIGEST = /@(sha256:[0-9a-f]{64})$/;

export function registerImages(program: Command): void {
  const images = program.command('images').description('enriched images');

  registerList(images);

  registerShow(images);

  images
    .command('report <id>')
    .description('show the status of an image report (the same as: imagetrail reports show ID)')
    .option('--json', 'print JSON')
    .action((id: string, o: { json?: boolean }, cmd: Command) => showReport(cmd, id, Boolean(o.json)));
}

function registerList(images: Command): void {
  images
    .command('list')
    .description('list images, newest first')
    .option('--repository <name>', 'repository (a trailing * matches a prefix)')
    .option('--tag <tag>', 'tag')
    .option('--registry <host>', 'registry host')
    .option('--branch <branch>', 'Git branch of a build')
    .option('--commit <sha>', 'Git commit (7+ hex characters)')
    .option('--issue <key>', 'Jira issue key')
    .option('--deployed', 'only images running now')
    .option('--application <name>', 'running now in this Argo CD application')
    .option('--runtime <name>', 'running now on this runtime')
    .option('--namespace <ns>', 'running now in this namespace')
    .option('--limit <n>', 'page size (1–200)', '50')
    .option('--cursor <cursor>', 'the next page, from a previous --json output')
    .option('--json', 'print JSON ({ items, nextCursor })')
    .action(async (o: Record<string, string | boolean | undefined>, cmd: Command) => {
      const out = stdio(Boolean(o['json']));
      const q = new URLSearchParams();
      for (const k of ['repository', 'tag', 'registry', 'branch', 'commit', 'issue', 'limit', 'cursor']) {
        const v = o[k];
        if (typeof v === 'string' && v !== '') q.set(k, v);
      }
      for (const k of ['application', 'runtime', 'namespace']) {
        const v = o[k];
        if (typeof v === 'string' && v !== '') q.set(k, v);
      }
      if (o['deployed']) q.set('deployed', 'true');
      const page = await (await clientFor(cmd)).call(ImageList, 'GET', `/api/v1/images?${q.toString()}`);
      if (out.json) return printJson(out, page);
      if (page.items.length === 0) return out.out('No images match.');
      out.out(
        table([
          ['REPOSITORY', 'TAGS', 'DIGEST', 'SIZE', 'PLATFORMS', 'COMMIT', 'CREATED'],
          ...page.items.map((i) => [
            `${i.registry}/${i.repository}`,
            i.tags.join(',') || '-',
            i.digest.slice(0, 19),
            humanSize(i.size),
            i.platforms
              .map((p) => `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`)
              .join(',') || '-',
            i.git?.sha ? i.git.sha.slice(0, 8) : '-',
            i.createdAt ?? '-',
          ]),
        ]),
      );
      if (page.nextCursor) out.out(`(more: --cursor ${page.nextCursor})`);
    });
}

function registerShow(images: Command): void {
  images
    .command('show <ref>')
    .description('show an image by id, by reference (registry/repo:tag or @digest) or by digest')
    .option('--json', 'print JSON')
    .action(async (ref: string, o: { json?: boolean }, cmd: Command) => {
      const out = stdio(Boolean(o.json));
      const client = await clientFor(cmd);
      let id = ref;
      if (!/^[\w-]{1,100}$/.test(ref) || /^sha256:/.test(ref)) {
        const q = new URLSearchParams({ limit: '2' });
        const digest = /^sha256:[0-9a-f]{64}$/.test(ref) ? ref : REF_WITH_DIGEST.exec(ref)?.[1];
        if (digest) q.set('digest', digest);
        else {
          const m = /^(.+?)\/(.+):([\w][\w.-]{0,127})$/.exec(ref);
          if (!m)
            throw new InputError(
              `"${ref}" is not an image id, a digest or a reference such as host/repo:tag`,
            );
          q.set('registry', m[1]!);
          q.set('repository', m[2]!);
          q.set('tag', m[3]!);
        }
        const page = await client.call(ImageList, 'GET', `/api/v1/images?${q.toString()}`);
        if (page.items.length === 0) {
          throw new NotFoundError(`No enriched image matches ${ref}.`, {
            hints: ['Report it first: imagetrail report-image --image … --wait'],
          });
        }
        id = page.items[0]!.id;
      }
      const d = await client.call(ImageDetail, 'GET', `/api/v1/images/${encodeURIComponent(id)}`);
      if (out.json) return printJson(out, d);
      out.out(`${d.registry}/${d.repository}@${d.digest}`);
      out.out(`  tags:      ${d.tags.join(', ') || '-'}`);
      out.out(`  size:      ${humanSize(d.size)}`);
      out.out(`  created:   ${d.createdAt ?? '-'}`);
      out.out(
        `  platforms: ${d.platforms.map((p) => `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`).join(', ') || '-'}`,
      );
      if (d.git) out.out(`  git:       ${d.git.repo ?? ''} ${d.git.branch ?? ''} ${d.git.sha ?? ''}`);
      if (d.issues.length) out.out(`  issues:    ${d.issues.join(', ')}`);
    });
}
