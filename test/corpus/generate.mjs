// Generates the bad-input corpus (test/corpus/*.json). Run: node test/corpus/generate.mjs && npx prettier --write test/corpus
// The JSON files are committed; this script only documents how the long and odd values were made, so a
// reader can regenerate them. Every value is meant to be INVALID for the field it is aimed at.
import { writeFileSync } from 'node:fs';
import process from 'node:process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = (name, data) => writeFileSync(join(here, name), JSON.stringify(data, null, 1) + '\n');
const r = (s, n) => s.repeat(n);
const HEX64 = r('a', 64);

const RTL = '\u202e'; // right-to-left override
const ZW = '\u200b'; // zero-width space
const ZWJ = '\u200d';
const BOM = '\ufeff';
const NUL = '\u0000';

// ---- image references (POST /image-reports, POST /inspect, report-image --image) ----------------------
out(
  'image-references.json',
  [
    ['', 'empty'],
    [' ', 'a space only'],
    ['nginx ', 'trailing space'],
    [' nginx', 'leading space'],
    ['ngi nx', 'space inside the name'],
    ['\tnginx', 'leading tab'],
    ['nginx\n', 'trailing newline'],
    ['nginx\r\nX-Injected: 1', 'CRLF header injection'],
    ['NGINX', 'uppercase repository'],
    ['docker.io/Library/nginx', 'uppercase path component'],
    ['registry.example.com/Team/App:1', 'uppercase path component after a host'],
    ['../etc/passwd', 'dot-dot path components'],
    ['registry.example.com/../../etc/passwd', 'dot-dot after a host'],
    ['registry.example.com/a/../b', 'dot-dot in the middle'],
    ['registry.example.com/./a', 'dot path component'],
    ['registry.example.com//a', 'empty path component'],
    ['registry.example.com/a/', 'trailing slash'],
    ['/nginx', 'leading slash'],
    ['registry.example.com/', 'host only'],
    [':latest', 'tag only'],
    ['@sha256:' + HEX64, 'digest only'],
    ['nginx:' + r('a', 300), '300-character tag'],
    ['nginx:' + r('1', 129), '129-character tag'],
    ['nginx:.hidden', 'tag starting with a dot'],
    ['nginx:-dash', 'tag starting with a dash'],
    ['nginx:tag with space', 'tag with a space'],
    ['nginx:tag/with/slash:x', 'tag with slashes'],
    ['nginx:', 'empty tag'],
    ['nginx:v1:v2', 'two tags'],
    ['nginx@', 'empty digest'],
    ['nginx@sha256:', 'digest without hex'],
    ['nginx@sha256:abc', 'short digest'],
    ['nginx@sha256:' + r('A', 64), 'uppercase digest hex'],
    ['nginx@sha256:' + r('g', 64), 'non-hex digest'],
    ['nginx@sha256:' + r('a', 65), '65-hex sha256 digest'],
    ['nginx@md5:' + r('a', 32), 'unsupported digest algorithm'],
    ['nginx@sha512:' + HEX64, 'sha512 digest with 64 hex digits'],
    ['nginx@' + HEX64, 'digest without algorithm'],
    ['nginx@sha256:' + HEX64 + '@sha256:' + HEX64, 'two digests'],
    ['nginx@SHA256:' + HEX64, 'uppercase algorithm'],
    ['reg.example.com:99999/app', 'port out of range'],
    ['reg.example.com:0/app', 'port zero'],
    ['reg.example.com:http/app:1', 'named port'],
    ['[::1/app', 'unclosed IPv6 bracket'],
    ['[zz::1]:5000/app', 'not an IPv6 address'],
    ['[fe80::1%eth0]:5000/app', 'IPv6 zone id'],
    ['-bad.example.com/app', 'host starting with a dash'],
    ['bad-.example.com/app', 'host ending with a dash'],
    ['bad..example.com/app', 'empty host label'],
    ['bad_host.example.com/app', 'underscore in host'],
    ['reg.example.com/app_', 'path component ending with a separator'],
    ['reg.example.com/app___x', 'triple underscore'],
    ['reg.example.com/' + r('a', 260), 'name over 255 characters'],
    [r('a/', 200) + 'a', 'deep repository over 255 characters'],
    ['x'.repeat(5000), 'over 4096 characters'],
    ['ngin' + NUL + 'x', 'NUL inside'],
    ['nginx:1' + NUL, 'NUL in the tag'],
    ['ngi' + RTL + 'nx', 'right-to-left override'],
    ['nginx:' + RTL + '1.0', 'RTL override in the tag'],
    ['ng' + ZW + 'inx', 'zero-width space'],
    ['ng' + ZWJ + 'inx', 'zero-width joiner'],
    [BOM + 'nginx', 'byte order mark prefix'],
    ['nginx:\ud83d\ude80', 'emoji tag'],
    ['\ud83d\udc33/app', 'emoji repository'],
    ['ngin\u0445', 'Cyrillic homoglyph (х) in the name'],
    ['g\u0456thub.com/acme/app', 'Cyrillic homoglyph (і) in the host'],
    ['\u0430cme.example.com/app:1', 'Cyrillic homoglyph (а) in the host'],
    ['nginx\uff1alatest', 'full-width colon'],
    ['ｎｇｉｎｘ', 'full-width letters'],
    ['nginx:1.0\u00a0', 'no-break space in the tag'],
    ['registry.example.com/app:1?x=1', 'query string'],
    ['https://registry.example.com/app:1', 'a URL instead of a reference'],
    ['registry.example.com/app#frag', 'fragment'],
    ['user:pass@registry.example.com/app', 'credentials in the reference'],
    ['reg.example.com/app:1;rm -rf /', 'shell metacharacters'],
    ['$(id)', 'command substitution'],
    ['reg.example.com/app\\x', 'backslash'],
    ['%2e%2e/%2e%2e/etc', 'percent-encoded dot-dot'],
  ].map(([value, why]) => ({ value, why })),
);

// ---- IAM role ARNs (ecr.auth.roleArn) ------------------------------------------------------------------
out(
  'role-arns.json',
  [
    ['', 'empty'],
    ['arn', 'just "arn"'],
    ['arn:aws:iam::123456789012:user/bob', 'a user, not a role'],
    ['arn:aws:iam::12345678901:role/r', '11-digit account'],
    ['arn:aws:iam::1234567890123:role/r', '13-digit account'],
    ['arn:aws:iam::12345678901a:role/r', 'letter in the account'],
    ['arn:aws:iam::123456789012:role/', 'no role name'],
    ['arn:aws:iam::123456789012:role/' + r('r', 65), '65-character role name'],
    ['arn:aws:iam::123456789012:role/a b', 'space in the role name'],
    ['arn:aws:iam::123456789012:role/../', 'dot-dot path without a role name'],
    ['arn:aws:iam::123456789012:role//x', 'empty path segment'],
    ['arn:aws:iam::123456789012:role/x' + NUL, 'NUL'],
    ['arn:aws:iam::123456789012:role/x' + RTL + 'y', 'RTL override'],
    ['arn:aws:iam::123456789012:role/\u0440ole', 'Cyrillic homoglyph'],
    ['arn:aws:iam::123456789012:role/x\ud83d\ude80', 'emoji'],
    ['arn:aws:sts::123456789012:assumed-role/r/s', 'an assumed-role session ARN'],
    ['arn:aws:iam:us-east-1:123456789012:role/r', 'IAM ARNs have no region'],
    ['arn:gcp:iam::123456789012:role/r', 'unknown partition'],
    ['ARN:AWS:IAM::123456789012:ROLE/r', 'uppercase prefix'],
    [' arn:aws:iam::123456789012:role/r', 'leading space'],
    ['arn:aws:iam::123456789012:role/r ', 'trailing space'],
    ['arn:aws:iam::123456789012:role/r\n', 'trailing newline'],
    ['arn:aws:iam::123456789012:role/r;x', 'semicolon'],
    ['arn:aws:iam::123456789012:role/' + r('p/', 1100) + 'r', 'longer than 2048 characters'],
    ['123456789012', 'an account id'],
    ['role/r', 'no prefix'],
    ['https://iam.amazonaws.com/role/r', 'a URL'],
    ['arn:aws:iam::123456789012:role/%2e%2e', 'percent-encoded'],
  ].map(([value, why]) => ({ value, why })),
);

// ---- regions (ecr.region) ------------------------------------------------------------------------------
out(
  'regions.json',
  [
    ['', 'empty'],
    ['US-EAST-1', 'uppercase'],
    ['us_east_1', 'underscores'],
    ['us-east', 'no number'],
    ['us-east-100', 'three-digit number'],
    ['useast1', 'no dashes'],
    ['us-east-1 ', 'trailing space'],
    [' us-east-1', 'leading space'],
    ['us-east-1\n', 'trailing newline'],
    ['us-east-1' + NUL, 'NUL'],
    ['us-\u0435ast-1', 'Cyrillic homoglyph'],
    ['us-east-1' + ZW, 'zero-width space'],
    [RTL + 'us-east-1', 'RTL override'],
    ['../us-east-1', 'path traversal'],
    ['us-east-1/../../x', 'slashes'],
    ['mars-1', 'not a region'],
    ['u-east-1', 'one-letter prefix'],
    ['us-east-1.amazonaws.com', 'a host'],
    ['https://us-east-1', 'a URL'],
    ['us-east-1?x=1', 'query'],
    [r('us-east-1', 50), 'repeated'],
    ['*', 'wildcard'],
    ['us-east-\ud83d\ude80', 'emoji'],
    ['ap-southeast-1;id', 'shell'],
  ].map(([value, why]) => ({ value, why })),
);

// ---- resource names (integration, runtime, sharing.runtimes[], testRuntime) ----------------------------
out(
  'names.json',
  [
    ['', 'empty'],
    ['../x', 'path traversal'],
    ['..', 'dot-dot'],
    ['.', 'dot'],
    ['a/b', 'slash'],
    ['a\\b', 'backslash'],
    ['%2e%2e', 'percent-encoded dot-dot'],
    ['%2e%2e%2fx', 'percent-encoded traversal'],
    ['..%2fx', 'half-encoded traversal'],
    ['x' + NUL, 'NUL'],
    ['x' + NUL + '.yaml', 'NUL before an extension'],
    [r('a', 64), '64 characters'],
    [r('a', 300), '300 characters'],
    ['Prod', 'uppercase'],
    ['-prod', 'leading dash'],
    ['prod-', 'trailing dash'],
    ['prod_ecr', 'underscore'],
    ['prod.ecr', 'dot'],
    ['prod ecr', 'space'],
    ['prod\tecr', 'tab'],
    ['prod\necr', 'newline'],
    ['pr\u043ed', 'Cyrillic homoglyph (о)'],
    ['prod' + ZW, 'zero-width space'],
    [RTL + 'prod', 'RTL override'],
    ['prod\ud83d\ude80', 'emoji'],
    ['ｐｒｏｄ', 'full-width letters'],
    ['prod.yaml', 'a file name'],
    ['~root', 'tilde'],
    ['$(id)', 'command substitution'],
    ['prod;rm -rf /', 'shell'],
    ['/etc/passwd', 'absolute path'],
    ['C:\\x', 'Windows path'],
    ['__proto__', 'prototype key'],
    ['Constructor', 'prototype key, capitalised (constructor alone is a valid DNS label)'],
    ['prod?x=1', 'query'],
    ['prod#x', 'fragment'],
  ].map(([value, why]) => ({ value, why })),
);

// ---- endpoint URLs (ecr.endpoints.*, github.apiUrl, jira.baseUrl) --------------------------------------
out(
  'endpoint-urls.json',
  [
    ['', 'empty'],
    ['not a url', 'not a URL'],
    ['api.example.com', 'no scheme'],
    ['//api.example.com', 'scheme-relative'],
    ['javascript:alert(1)', 'javascript:'],
    ['JAVASCRIPT:alert(1)', 'uppercase javascript:'],
    ['data:text/html,<script>alert(1)</script>', 'data:'],
    ['file:///etc/passwd', 'file:'],
    ['ftp://api.example.com', 'ftp:'],
    ['gopher://127.0.0.1:6379/_INFO', 'gopher:'],
    ['ws://api.example.com', 'ws:'],
    ['https://user:pass@api.example.com', 'credentials in the URL'],
    ['https://user@api.example.com', 'user name in the URL'],
    ['https://:pass@api.example.com', 'password in the URL'],
    ['https://api.example.com/?token=abc', 'query string'],
    ['https://api.example.com/path?x', 'query with a path'],
    ['https://api.example.com/#frag', 'fragment'],
    ['https://api.example.com/?a=1#b', 'query and fragment'],
    ['http://', 'no host'],
    ['https://', 'no host (https)'],
    ['https://api.example.com:99999', 'port out of range'],
    ['https://exa mple.com', 'space in the host'],
    ['https://api.example.com/\n?x=1', 'newline then a query'],
    [' javascript:alert(1)', 'leading space then javascript:'],
    ['https://api.example.com/' + NUL + '?q', 'NUL plus query'],
    ['https://' + RTL + 'moc.elpmaxe?x', 'RTL override plus query'],
    ['https://user:pass@' + r('a', 200) + '.com', 'credentials and a long host'],
    ['\\\\server\\share', 'UNC path'],
    ['mailto:admin@example.com', 'mailto:'],
    ['vbscript:msgbox(1)', 'vbscript:'],
    ['http://[::1', 'unclosed IPv6'],
    ['http://169.254.169.254/latest/meta-data/?x', 'metadata endpoint with a query'],
  ].map(([value, why]) => ({ value, why })),
);

// ---- invalid JSON bodies -------------------------------------------------------------------------------
out(
  'invalid-json.json',
  [
    ['{', 'unterminated object'],
    ['[', 'unterminated array'],
    ['{"name": "x",}', 'trailing comma'],
    ["{'name': 'x'}", 'single quotes'],
    ['{name: "x"}', 'unquoted key'],
    ['nul', 'truncated literal'],
    ['NaN', 'NaN'],
    ['{"a": NaN}', 'NaN value'],
    ['{"a": Infinity}', 'Infinity'],
    ['{"a": 0x10}', 'hex number'],
    ['{"a": 01}', 'leading zero'],
    ['{"a": "\u0001"}', 'raw control character in a string'],
    ['{"a": "\\x41"}', 'invalid escape'],
    ['{"a": "\\u12', 'truncated unicode escape'],
    ['{} {}', 'two documents'],
    ['{"a":1}garbage', 'trailing garbage'],
    ['// comment\n{}', 'comment'],
    [BOM + '{"a":1}', 'byte order mark'],
    ['<xml/>', 'XML'],
    ['name=x&type=registry.ecr', 'form-encoded'],
    ['---\nname: x\n', 'YAML'],
    ['"unterminated', 'unterminated string'],
    [r('[', 5000), 'deep unterminated arrays'],
    ['{"a":' + r('[', 100) + ']', 'mismatched brackets'],
  ].map(([text, why]) => ({ text, why })),
);

// ---- API bodies for every POST / PATCH / DELETE endpoint ------------------------------------------------
// `field`: a detail path the 400 must name (a prefix is enough), so the message says what to fix.
const LOOP = 'http://127.0.0.1:9'; // a closed port: if a body were ever accepted, nothing leaves the machine
const ROLE = 'arn:aws:iam::123456789012:role/corpus';
const ecr = (over = {}) => ({
  region: 'us-east-1',
  auth: { mode: 'iamRole', roleArn: ROLE },
  endpoints: { api: LOOP, sts: LOOP, registry: LOOP },
  ...over,
});
const create = (over = {}) => ({
  name: 'corpus-new',
  type: 'registry.ecr',
  sharing: { runtimes: ['local'] },
  ecr: ecr(),
  ...over,
});
// Deep documents are described (`gen`) and built as text by the test: JSON.stringify itself overflows the
// stack on them, and they would make this file large.
const deep = (n) => ({ gen: { kind: 'deep-object', depth: n } });
const deepArr = (n) => ({ gen: { kind: 'deep-array', depth: n } });
const bodies = [];
const add = (method, path, body, why, status = 400, field) =>
  bodies.push({
    method,
    path,
    ...(body && typeof body === 'object' && 'gen' in body ? { gen: body.gen } : { body }),
    why,
    status,
    ...(field ? { field } : {}),
  });
const INT = '/api/v1/integrations';
const EXIST = INT + '/corpus-existing';
for (const [method, path, label] of [
  ['POST', INT, 'create'],
  ['POST', INT + '/test', 'draft test'],
  ['PATCH', EXIST, 'edit'],
  ['DELETE', EXIST, 'delete'],
  ['POST', '/api/v1/runtimes', 'runtime add'],
  ['POST', '/api/v1/tokens', 'token create'],
  ['POST', '/api/v1/image-reports', 'report'],
  ['POST', '/api/v1/inspect', 'inspect'],
]) {
  // Shapes that are never an object of the right kind.
  for (const [b, why] of [
    [null, 'null'],
    [[], 'an array'],
    ['a string', 'a string'],
    [42, 'a number'],
    [true, 'a boolean'],
    [{ __proto__: null, ['__proto__']: { admin: true } }, '__proto__ key'],
    [{ constructor: { prototype: { admin: true } } }, 'constructor.prototype key'],
    [deep(5000), '5000 levels of nesting'],
    [deepArr(20000), '20000 nested arrays'],
  ]) {
    add(method, path, b, `${label}: ${why}`, 400);
  }
}
// POST /integrations
add('POST', INT, {}, 'create: empty object', 400, 'name');
add('POST', INT, create({ name: 123 }), 'create: name is a number', 400, 'name');
add('POST', INT, create({ name: ['a'] }), 'create: name is an array', 400, 'name');
add('POST', INT, create({ type: 'registry.gcr' }), 'create: unknown type', 400, 'type');
add('POST', INT, create({ type: null }), 'create: type null', 400, 'type');
add('POST', INT, create({ sharing: 'all' }), 'create: sharing is a string', 400, 'sharing');
add('POST', INT, create({ sharing: { allRuntimes: false } }), 'create: allRuntimes false', 400, 'sharing');
add('POST', INT, create({ sharing: { runtimes: [] } }), 'create: no runtimes', 400, 'sharing');
add(
  'POST',
  INT,
  create({ sharing: { allRuntimes: true, runtimes: ['local'] } }),
  'create: both sharings',
  400,
  'sharing',
);
// `fill`: the test puts an array of `count` copies of `value` at `at` (kept out of this file for size).
const fill = (entry, at, value, count) =>
  Object.assign(bodies[bodies.length - 1], { fill: { at, value, count } }) && entry;
add('POST', INT, create({ sharing: { runtimes: [] } }), 'create: 5000 runtimes', 400, 'sharing');
fill(null, ['sharing', 'runtimes'], 'rt-x', 5000);
add('POST', INT, create({ sharing: { runtimes: [] } }), 'create: 20000 bad runtime names', 400, 'sharing');
fill(null, ['sharing', 'runtimes'], '../x', 20000);
add('POST', INT, create({ skipTest: 'yes' }), 'create: skipTest is a string', 400, 'skipTest');
add(
  'POST',
  INT,
  create({ description: 'd'.repeat(501) }),
  'create: 501-character description',
  400,
  'description',
);
add('POST', INT, create({ extra: 1 }), 'create: unknown field', 400);
add('POST', INT, create({ ['__proto__']: { skipTest: true } }), 'create: __proto__ beside valid fields', 400);
add('POST', INT, create({ ecr: undefined }), 'create: ECR type without an ecr section', 400, 'ecr');
add('POST', INT, create({ github: { token: 'x' } }), 'create: github section on an ECR integration', 400);
add('POST', INT, create({ ecr: 'us-east-1' }), 'create: ecr is a string', 400, 'ecr');
add(
  'POST',
  INT,
  create({ ecr: ecr({ auth: { mode: 'magic' } }) }),
  'create: unknown auth mode',
  400,
  'ecr.auth',
);
add('POST', INT, create({ ecr: ecr({ auth: null }) }), 'create: auth null', 400, 'ecr.auth');
add(
  'POST',
  INT,
  create({ ecr: ecr({ auth: { mode: 'accessKey', accessKeyId: 'AKIAABCDEFGHIJKLMNOP' } }) }),
  'create: access key without secret',
  400,
  'ecr.auth.secretAccessKey',
);
add(
  'POST',
  INT,
  create({
    ecr: ecr({ auth: { mode: 'accessKey', accessKeyId: 'AKIAABCDEFGHIJKLMNOP', secretAccessKey: '' } }),
  }),
  'create: empty secret',
  400,
  'ecr.auth.secretAccessKey',
);
add(
  'POST',
  INT,
  create({
    ecr: ecr({ auth: { mode: 'accessKey', accessKeyId: 'AKIAABCDEFGHIJKLMNOP', secretAccessKey: 5 } }),
  }),
  'create: numeric secret',
  400,
  'ecr.auth.secretAccessKey',
);
add(
  'POST',
  INT,
  create({ ecr: ecr({ auth: { mode: 'accessKey', accessKeyId: 'akia-lower', secretAccessKey: 's' } }) }),
  'create: lowercase access key id',
  400,
  'ecr.auth.accessKeyId',
);
add(
  'POST',
  INT,
  create({ ecr: ecr({ auth: { mode: 'iamRole', roleArn: ROLE, durationSeconds: 7200 } }) }),
  'create: duration over an hour',
  400,
  'ecr.auth.durationSeconds',
);
add(
  'POST',
  INT,
  create({ ecr: ecr({ auth: { mode: 'iamRole', roleArn: ROLE, durationSeconds: 1.5 } }) }),
  'create: fractional duration',
  400,
  'ecr.auth.durationSeconds',
);
add(
  'POST',
  INT,
  create({ ecr: ecr({ auth: { mode: 'iamRole', roleArn: ROLE, durationSeconds: '900' } }) }),
  'create: duration as a string',
  400,
  'ecr.auth.durationSeconds',
);
add(
  'POST',
  INT,
  create({ ecr: ecr({ auth: { mode: 'iamRole', roleArn: ROLE, externalId: 'x' } }) }),
  'create: one-character external id',
  400,
  'ecr.auth.externalId',
);
add(
  'POST',
  INT,
  create({ ecr: ecr({ auth: { mode: 'iamRole', roleArn: ROLE, externalId: 'a b' } }) }),
  'create: space in external id',
  400,
  'ecr.auth.externalId',
);
add(
  'POST',
  INT,
  create({ ecr: ecr({ auth: { mode: 'iamRole', roleArn: ROLE, sessionName: 'a/b' } }) }),
  'create: slash in session name',
  400,
  'ecr.auth.sessionName',
);
add(
  'POST',
  INT,
  create({ ecr: ecr({ auth: { mode: 'iamRole', roleArn: ROLE, extra: 1 } }) }),
  'create: unknown auth field',
  400,
  'ecr.auth',
);
add(
  'POST',
  INT,
  create({ ecr: ecr({ endpoints: { api: LOOP, other: LOOP } }) }),
  'create: unknown endpoint',
  400,
  'ecr.endpoints',
);
add(
  'POST',
  INT,
  create({ ecr: ecr({ region: ['us-east-1'] }) }),
  'create: region is an array',
  400,
  'ecr.region',
);
add(
  'POST',
  INT,
  create({ type: 'git.github', ecr: undefined, github: { token: '' } }),
  'github: empty token',
  400,
  'github.token',
);
add(
  'POST',
  INT,
  create({ type: 'git.github', ecr: undefined, github: { token: '   ' } }),
  'github: blank token',
  400,
  'github.token',
);
add(
  'POST',
  INT,
  create({ type: 'git.github', ecr: undefined, github: { token: 'x'.repeat(1025) } }),
  'github: 1025-character token',
  400,
  'github.token',
);
add(
  'POST',
  INT,
  create({ type: 'git.github', ecr: undefined, github: {} }),
  'github: no token',
  400,
  'github.token',
);
add(
  'POST',
  INT,
  create({
    type: 'issue.jira',
    ecr: undefined,
    jira: { baseUrl: LOOP, auth: { kind: 'cloud', email: 'not-an-email', apiToken: 't' } },
  }),
  'jira: bad email',
  400,
  'jira.auth.email',
);
add(
  'POST',
  INT,
  create({ type: 'issue.jira', ecr: undefined, jira: { baseUrl: LOOP, auth: { kind: 'oauth' } } }),
  'jira: unknown auth kind',
  400,
  'jira.auth',
);
add(
  'POST',
  INT,
  create({
    type: 'issue.jira',
    ecr: undefined,
    jira: { baseUrl: LOOP, auth: { kind: 'server', pat: 't' }, projectPrefixes: '/[unclosed/' },
  }),
  'jira: invalid prefix regex',
  400,
  'jira.projectPrefixes',
);
add(
  'POST',
  INT,
  create({
    type: 'issue.jira',
    ecr: undefined,
    jira: { baseUrl: LOOP, auth: { kind: 'server', pat: 't' }, projectPrefixes: '1BAD,-' },
  }),
  'jira: invalid project keys',
  400,
  'jira.projectPrefixes',
);
add(
  'POST',
  INT,
  create({
    type: 'issue.jira',
    ecr: undefined,
    jira: { baseUrl: LOOP, auth: { kind: 'server', pat: 't' }, failOnNotFound: 'yes' },
  }),
  'jira: failOnNotFound is a string',
  400,
  'jira.failOnNotFound',
);
add('POST', INT, create({ sharing: { runtimes: ['no-such-runtime'] } }), 'create: unknown runtime', 400);
add('POST', INT, create({ testRuntime: 'no-such-runtime' }), 'create: unknown test runtime', 400);
// POST /integrations/test (draft)
add('POST', INT + '/test', {}, 'draft: nothing to test', 400);
add('POST', INT + '/test', { ecr: ecr({ region: 'nowhere' }) }, 'draft: bad region', 400, 'ecr.region');
add('POST', INT + '/test', { name: '../x', ecr: ecr() }, 'draft: traversal name', 400, 'name');
add('POST', INT + '/test', { runtime: 'Local', ecr: ecr() }, 'draft: uppercase runtime', 400, 'runtime');
add(
  'POST',
  INT + '/test',
  { type: 'registry.ecr', github: { token: 't' } },
  'draft: section of another type',
  400,
);
add('POST', INT + '/test', { ecr: ecr(), github: { token: 't' } }, 'draft: two sections', 400);
add('POST', INT + '/test', { ecr: ecr(), extra: true }, 'draft: unknown field', 400);
add(
  'POST',
  INT + '/test',
  {
    name: 'no-such-integration',
    ecr: ecr({ auth: { mode: 'accessKey', accessKeyId: 'AKIAABCDEFGHIJKLMNOP' } }),
  },
  'draft: secret left out and no stored integration',
  400,
);
// PATCH /integrations/corpus-existing (an access-key ECR integration)
add('PATCH', EXIST, { type: 'git.github' }, 'edit: changing the type', 400);
add('PATCH', EXIST, { name: 'other' }, 'edit: renaming', 400);
add('PATCH', EXIST, { ecr: { region: 5 } }, 'edit: numeric region', 400, 'ecr.region');
add(
  'PATCH',
  EXIST,
  { ecr: { auth: { mode: 'iamRole' } } },
  'edit: switch to IAM role without ARN',
  400,
  'ecr.auth.roleArn',
);
add(
  'PATCH',
  EXIST,
  { ecr: { auth: { mode: 'accessKey', secretAccessKey: '' } } },
  'edit: empty secret',
  400,
  'ecr.auth.secretAccessKey',
);
add(
  'PATCH',
  EXIST,
  { ecr: { endpoints: { api: 'javascript:alert(1)' } } },
  'edit: javascript endpoint',
  400,
  'ecr.endpoints.api',
);
add('PATCH', EXIST, { github: { token: 't' } }, 'edit: section of another type', 400);
add('PATCH', EXIST, { sharing: { runtimes: ['../x'] } }, 'edit: traversal runtime', 400, 'sharing');
add('PATCH', EXIST, { description: 7 }, 'edit: numeric description', 400, 'description');
add('PATCH', EXIST, { skipTest: 1 }, 'edit: numeric skipTest', 400, 'skipTest');
add('PATCH', INT + '/..%2f..%2fetc', { description: 'x' }, 'edit: encoded traversal in the path', 400);
add('PATCH', INT + '/no-such', { description: 'x', skipTest: true }, 'edit: unknown integration', 404);
// DELETE /integrations/corpus-existing
add('DELETE', EXIST, { confirm: 'delete' }, 'delete: lowercase confirmation', 400, 'confirm');
add('DELETE', EXIST, { confirm: true }, 'delete: boolean confirmation', 400, 'confirm');
add('DELETE', EXIST, { confirm: 'DELETE', extra: 1 }, 'delete: unknown field', 400);
add('DELETE', EXIST, {}, 'delete: no confirmation', 400, 'confirm');
// POST /runtimes
add('POST', '/api/v1/runtimes', {}, 'runtime: empty', 400, 'name');
add(
  'POST',
  '/api/v1/runtimes',
  { name: 'rt', type: 'cloud', version: '0.2.0' },
  'runtime: unknown type',
  400,
  'type',
);
add(
  'POST',
  '/api/v1/runtimes',
  { name: 'rt', type: 'hybrid', version: 'latest' },
  'runtime: bad version',
  400,
  'version',
);
add(
  'POST',
  '/api/v1/runtimes',
  { name: 'rt', type: 'hybrid', version: '01.2.3' },
  'runtime: leading zero version',
  400,
  'version',
);
add(
  'POST',
  '/api/v1/runtimes',
  { name: 'rt', type: 'hybrid', version: '0.2.0', recipient: 'age1short' },
  'runtime: bad recipient',
  400,
  'recipient',
);
add(
  'POST',
  '/api/v1/runtimes',
  { name: 'rt', type: 'hybrid', version: '0.2.0', recipient: 'AGE-SECRET-KEY-1' + 'Q'.repeat(58) },
  'runtime: a private key as recipient',
  400,
  'recipient',
);
add(
  'POST',
  '/api/v1/runtimes',
  { name: 'local', type: 'hybrid', version: '0.2.0' },
  'runtime: already exists',
  409,
);
add(
  'POST',
  '/api/v1/runtimes',
  { name: 'rt', type: 'hybrid', version: '0.2.0', extra: 1 },
  'runtime: unknown field',
  400,
);
// POST /tokens
add('POST', '/api/v1/tokens', { name: '', scopes: ['admin'] }, 'token: empty name', 400, 'name');
add(
  'POST',
  '/api/v1/tokens',
  { name: 'x'.repeat(101), scopes: ['admin'] },
  'token: 101-character name',
  400,
  'name',
);
add('POST', '/api/v1/tokens', { name: 'x', scopes: [] }, 'token: no scopes', 400, 'scopes');
add('POST', '/api/v1/tokens', { name: 'x', scopes: 'admin' }, 'token: scopes is a string', 400, 'scopes');
add('POST', '/api/v1/tokens', { name: 'x', scopes: ['root'] }, 'token: unknown scope', 400, 'scopes');
add(
  'POST',
  '/api/v1/tokens',
  { name: 'x', scopes: ['runtime:../x'] },
  'token: traversal runtime scope',
  400,
  'scopes',
);
add(
  'POST',
  '/api/v1/tokens',
  { name: 'x', scopes: ['runtime:'] },
  'token: empty runtime scope',
  400,
  'scopes',
);
add('POST', '/api/v1/tokens', { name: 'x', scopes: ['ADMIN'] }, 'token: uppercase scope', 400, 'scopes');
add('POST', '/api/v1/tokens', { name: 'x', scopes: [] }, 'token: 10000 scopes', 400, 'scopes');
fill(null, ['scopes'], 'report', 10000);
add(
  'POST',
  '/api/v1/tokens',
  { name: 'x', scopes: ['admin'], token: 'it_chosen' },
  'token: choosing the token',
  400,
);
add('DELETE', '/api/v1/tokens/tok_doesnotexist', undefined, 'revoke: unknown id', 404);
add('DELETE', '/api/v1/tokens/..%2f..%2fx', undefined, 'revoke: traversal id', 404);
// POST /image-reports
const rep = (over = {}) => ({
  image: 'registry.example.com/team/app:1',
  registryIntegration: 'corpus-existing',
  ...over,
});
add('POST', '/api/v1/image-reports', {}, 'report: no image', 400, 'image');
add('POST', '/api/v1/image-reports', rep({ image: 5 }), 'report: numeric image', 400, 'image');
add(
  'POST',
  '/api/v1/image-reports',
  rep({ registryIntegration: '../x' }),
  'report: traversal integration',
  400,
  'registryIntegration',
);
add('POST', '/api/v1/image-reports', rep({ runtime: 'nope' }), 'report: unknown runtime', 400, 'runtime');
add('POST', '/api/v1/image-reports', rep({ git: { sha: 'xyz' } }), 'report: bad sha', 400, 'git.sha');
add(
  'POST',
  '/api/v1/image-reports',
  rep({ git: { provider: 'svn' } }),
  'report: unknown provider',
  400,
  'git.provider',
);
add(
  'POST',
  '/api/v1/image-reports',
  rep({ git: { time: 'yesterday' } }),
  'report: bad time',
  400,
  'git.time',
);
add(
  'POST',
  '/api/v1/image-reports',
  rep({ git: { parents: [] } }),
  'report: 100 parents',
  400,
  'git.parents',
);
fill(null, ['git', 'parents'], 'abcdef1', 100);
add(
  'POST',
  '/api/v1/image-reports',
  rep({ git: { author: { email: 5 } } }),
  'report: numeric author email',
  400,
  'git.author.email',
);
add('POST', '/api/v1/image-reports', rep({ git: 'main' }), 'report: git is a string', 400, 'git');
add(
  'POST',
  '/api/v1/image-reports',
  rep({ workflow: { url: 'javascript:alert(1)x y' } }),
  'report: bad workflow URL',
  400,
  'workflow.url',
);
add(
  'POST',
  '/api/v1/image-reports',
  rep({ workflow: { logsUrl: 'not a url' } }),
  'report: bad logs URL',
  400,
  'workflow.logsUrl',
);
add(
  'POST',
  '/api/v1/image-reports',
  rep({ workflow: { logsUrl: 'javascript:alert(document.cookie)' } }),
  'report: javascript: logs URL',
  400,
  'workflow.logsUrl',
);
add(
  'POST',
  '/api/v1/image-reports',
  rep({ workflow: { url: 'data:text/html,<script>alert(1)</script>' } }),
  'report: data: workflow URL',
  400,
  'workflow.url',
);
add(
  'POST',
  '/api/v1/image-reports',
  rep({ workflow: { url: 'file:///etc/passwd' } }),
  'report: file: workflow URL',
  400,
  'workflow.url',
);
add(
  'POST',
  '/api/v1/image-reports',
  rep({ issues: { failOnNotFound: 'true' } }),
  'report: string boolean',
  400,
  'issues.failOnNotFound',
);
add(
  'POST',
  '/api/v1/image-reports',
  rep({ issues: { extra: 1 } }),
  'report: unknown issues field',
  400,
  'issues',
);
add('POST', '/api/v1/image-reports', rep({ status: 'succeeded' }), 'report: setting the status', 400);
// POST /inspect
add('POST', '/api/v1/inspect', {}, 'inspect: no image', 400, 'image');
add('POST', '/api/v1/inspect', { image: 'x'.repeat(1025) }, 'inspect: 1025-character image', 400, 'image');
add(
  'POST',
  '/api/v1/inspect',
  { image: 'nginx', runtime: '../x' },
  'inspect: traversal runtime',
  400,
  'runtime',
);
add('POST', '/api/v1/inspect', { image: 'nginx', creds: 'u:p' }, 'inspect: unknown field', 400);
// Path parameters
add('GET', INT + '/%2e%2e', undefined, 'get: encoded dot-dot name (URL parsing makes it /api/v1/)', 404);
add('GET', INT + '/..%2Fruntimes', undefined, 'get: encoded slash', 400);
add('GET', INT + '/a%00b', undefined, 'get: encoded NUL', 400);
add('GET', INT + '/' + 'a'.repeat(300), undefined, 'get: 300-character name', 400);
add('GET', INT + '/Prod', undefined, 'get: uppercase name', 400);
add('POST', EXIST + '/test?runtime=../x', undefined, 'test: traversal runtime', 400);
add('POST', EXIST + '/test?runtime=%00', undefined, 'test: NUL runtime', 400);
add('GET', '/api/v1/runtimes/%2e%2e%2fx', undefined, 'runtime: encoded traversal', 400);
add('GET', '/api/v1/images/..%2f..', undefined, 'image: traversal id', 404);
add('GET', '/api/v1/images?limit=100000', undefined, 'images: huge limit', 400, 'limit');
add('GET', '/api/v1/images?limit=-1', undefined, 'images: negative limit', 400, 'limit');
add('GET', '/api/v1/images?limit=abc', undefined, 'images: non-numeric limit', 400, 'limit');
add('GET', '/api/v1/images?nope=1', undefined, 'images: unknown query field', 400);
add('GET', '/api/v1/images?cursor=' + 'x'.repeat(600), undefined, 'images: long cursor', 400, 'cursor');
add('GET', '/api/v1/images?cursor=%00%ff', undefined, 'images: garbage cursor', 400);
add('GET', '/api/v1/image-reports/' + 'x'.repeat(200), undefined, 'report: long id', 404);
out('api-bodies.json', bodies);

// ---- hand-edited YAML resources pushed to the config remote -------------------------------------------
// `file` is written in a person's clone, committed and pushed; after `config sync` the file must be
// reported (error or warning) with `path` (a prefix of the reported field path; '' = whole file).
const REC = 'age1' + 'q'.repeat(58);
const SEALED = {
  sealed: '-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n',
  recipients: [REC],
};
const y = (o) => JSON.stringify(o); // JSON is YAML
const integ = (name, spec) => ({
  apiVersion: 'imagetrail.dev/v1alpha1',
  kind: 'Integration',
  metadata: { name },
  spec,
});
const A = 'resources/all-runtimes-all-clusters/';
const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
for (let i = 1; i <= 9; i++) {
  const prev = String.fromCharCode(96 + i);
  const cur = String.fromCharCode(97 + i);
  bomb.push(
    `${cur}: &${cur} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`,
  );
}
const yamls = [
  {
    file: A + 'y-syntax.yaml',
    text: 'apiVersion: imagetrail.dev/v1alpha1\nkind: Integration\nmetadata: {name: y-syntax\n',
    why: 'unclosed flow mapping',
    path: '',
  },
  {
    file: A + 'y-tabs.yaml',
    text: 'apiVersion: imagetrail.dev/v1alpha1\nkind: Integration\nmetadata:\n\tname: y-tabs\n',
    why: 'tab indentation',
    path: '',
  },
  {
    file: A + 'y-dupkeys.yaml',
    text: 'apiVersion: imagetrail.dev/v1alpha1\nkind: Integration\nkind: Runtime\nmetadata: {name: y-dupkeys}\n',
    why: 'duplicate keys',
    path: '',
  },
  {
    file: A + 'y-multidoc.yaml',
    text: y(integ('y-multidoc', {})) + '\n---\n' + y(integ('y-multidoc', {})) + '\n',
    why: 'two documents',
    path: '',
  },
  { file: A + 'y-empty.yaml', text: '', why: 'empty file', path: '' },
  { file: A + 'y-comment-only.yaml', text: '# nothing here\n', why: 'only a comment', path: '' },
  { file: A + 'y-scalar.yaml', text: 'just a string\n', why: 'a scalar document', path: '' },
  { file: A + 'y-list.yaml', text: '- a\n- b\n', why: 'a list document', path: '' },
  {
    file: A + 'y-null-fields.yaml',
    text: 'apiVersion: null\nkind: null\nmetadata: null\n',
    why: 'null envelope',
    path: '',
  },
  {
    file: A + 'y-wrong-kind.yaml',
    text: y({ ...integ('y-wrong-kind', {}), kind: 'Secret' }),
    why: 'unknown imagetrail kind',
    path: 'kind',
  },
  {
    file: A + 'y-wrong-version.yaml',
    text: y({ ...integ('y-wrong-version', {}), apiVersion: 'imagetrail.dev/v9' }),
    why: 'unsupported apiVersion',
    path: 'apiVersion',
  },
  {
    file: A + 'y-runtime-here.yaml',
    text: y({
      apiVersion: 'imagetrail.dev/v1alpha1',
      kind: 'Runtime',
      metadata: { name: 'y-runtime-here' },
      spec: { type: 'hybrid', version: '0.2.0', recipient: REC },
    }),
    why: 'a Runtime in the integrations folder',
    path: 'kind',
  },
  {
    file: A + 'y-k8s-secret.yaml',
    text: y({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'y-k8s-secret' },
      stringData: { password: 'hunter2' },
    }),
    why: 'a Kubernetes Secret in the integrations folder',
    path: 'kind',
  },
  {
    file: A + 'y-name-mismatch.yaml',
    text: y(
      integ('other-name', {
        type: 'registry.ecr',
        ecr: { region: 'us-east-1', auth: { mode: 'iamRole', roleArn: ROLE } },
      }),
    ),
    why: 'metadata.name differs from the file name',
    path: 'metadata.name',
  },
  {
    file: A + 'y-bad-name.yaml',
    text: y(
      integ('../../etc', {
        type: 'registry.ecr',
        ecr: { region: 'us-east-1', auth: { mode: 'iamRole', roleArn: ROLE } },
      }),
    ),
    why: 'traversal in metadata.name',
    path: 'metadata.name',
  },
  {
    file: A + 'y-clear-secret.yaml',
    text: y(
      integ('y-clear-secret', {
        type: 'registry.ecr',
        ecr: {
          region: 'us-east-1',
          auth: {
            mode: 'accessKey',
            accessKeyId: 'AKIAABCDEFGHIJKLMNOP',
            secretAccessKey: 'CorpusClearSecret-0001',
          },
        },
      }),
    ),
    why: 'ECR secret in clear',
    path: 'spec.ecr.auth.secretAccessKey',
  },
  {
    file: A + 'y-clear-github.yaml',
    text: y(integ('y-clear-github', { type: 'git.github', github: { token: 'ghp_CorpusClearToken0001' } })),
    why: 'GitHub token in clear',
    path: 'spec.github.token',
  },
  {
    file: A + 'y-clear-jira.yaml',
    text: y(
      integ('y-clear-jira', {
        type: 'issue.jira',
        jira: { baseUrl: 'https://x.atlassian.net', auth: { kind: 'server', pat: 'CorpusClearPat0001' } },
      }),
    ),
    why: 'Jira PAT in clear',
    path: 'spec.jira.auth.pat',
  },
  {
    file: A + 'y-sealed-garbage.yaml',
    text: y(
      integ('y-sealed-garbage', {
        type: 'git.github',
        github: { token: { sealed: 'not armored', recipients: ['x'] } },
      }),
    ),
    why: 'sealed value not armored',
    path: 'spec.github.token',
  },
  {
    file: A + 'y-bad-arn.yaml',
    text: y(
      integ('y-bad-arn', {
        type: 'registry.ecr',
        ecr: { region: 'us-east-1', auth: { mode: 'iamRole', roleArn: 'arn:aws:iam::1:role/x' } },
      }),
    ),
    why: 'bad role ARN',
    path: 'spec.ecr.auth.roleArn',
  },
  {
    file: A + 'y-bad-region.yaml',
    text: y(
      integ('y-bad-region', {
        type: 'registry.ecr',
        ecr: { region: 'Mars', auth: { mode: 'iamRole', roleArn: ROLE } },
      }),
    ),
    why: 'bad region',
    path: 'spec.ecr.region',
  },
  {
    file: A + 'y-file-endpoint.yaml',
    text: y(
      integ('y-file-endpoint', {
        type: 'registry.ecr',
        ecr: {
          region: 'us-east-1',
          auth: { mode: 'iamRole', roleArn: ROLE },
          endpoints: { api: 'file:///etc/passwd' },
        },
      }),
    ),
    why: 'file: endpoint',
    path: 'spec.ecr.endpoints.api',
  },
  {
    file: A + 'y-cred-url.yaml',
    text: y(
      integ('y-cred-url', {
        type: 'git.github',
        github: { apiUrl: 'https://u:p@ghe.example.com/api/v3', token: SEALED },
      }),
    ),
    why: 'credentials in apiUrl',
    path: 'spec.github.apiUrl',
  },
  {
    file: A + 'y-unknown-type.yaml',
    text: y(integ('y-unknown-type', { type: 'registry.gcr' })),
    why: 'unknown integration type',
    path: 'spec.type',
  },
  {
    file: A + 'y-misspelt.yaml',
    text: y(integ('y-misspelt', { type: 'git.github', github: { apiUrll: 'https://x', token: SEALED } })),
    why: 'misspelt field',
    path: 'spec.github',
  },
  {
    file: A + 'y-alias-bomb.yaml',
    text:
      bomb.join('\n') +
      '\napiVersion: imagetrail.dev/v1alpha1\nkind: Integration\nmetadata: {name: y-alias-bomb}\nspec: *j\n',
    why: 'billion laughs (10^10 expansion)',
    path: '',
  },
  {
    file: A + 'y-alias-loop.yaml',
    text: 'apiVersion: imagetrail.dev/v1alpha1\nkind: Integration\nmetadata: &m {name: y-alias-loop, self: *m}\n',
    why: 'alias used before its anchor ends',
    path: '',
  },
  { file: A + 'y-huge.yaml', gen: { kind: 'huge', bytes: 2 * 1024 * 1024 }, why: '2 MiB file', path: '' },
  {
    file: A + 'y-deep.yaml',
    gen: { kind: 'deep', depth: 20000 },
    why: '20000 nested flow sequences',
    path: '',
  },
  {
    file: A + 'y-long-line.yaml',
    gen: { kind: 'longline', bytes: 900 * 1024 },
    why: '900 KiB single-line value',
    path: 'spec',
  },
  { file: A + 'y-binary.yaml', gen: { kind: 'binary', bytes: 4096 }, why: 'binary garbage', path: '' },
  {
    file: A + 'y-nul.yaml',
    text: 'apiVersion: imagetrail.dev/v1alpha1\nkind: Integ\u0000ration\nmetadata: {name: y-nul}\n',
    why: 'NUL in a value',
    path: '',
  },
  {
    file: A + 'y-bom-rtl.yaml',
    text: '\ufeffapiVersion: imagetrail.dev/v1alpha1\nkind: Integration\nmetadata: {name: "y-bom-rtl\u202e"}\n',
    why: 'BOM and RTL override in the name',
    path: '',
  },
  {
    file: A + 'y-tags.yaml',
    text: 'apiVersion: !!binary aW1hZ2V0cmFpbA==\nkind: !!js/function "function(){}"\nmetadata: {name: y-tags}\n',
    why: 'unsafe YAML tags',
    path: '',
  },
  {
    file: A + 'y-proto.yaml',
    text: 'apiVersion: imagetrail.dev/v1alpha1\nkind: Integration\nmetadata: {name: y-proto}\n__proto__: {polluted: true}\nspec: {type: git.github, github: {token: {sealed: x}, __proto__: {x: 1}}}\n',
    why: '__proto__ keys',
    path: 'spec',
  },
  {
    file: A + 'y-merge-key.yaml',
    text: 'base: &b {type: registry.gcr}\napiVersion: imagetrail.dev/v1alpha1\nkind: Integration\nmetadata: {name: y-merge-key}\nspec: {<<: *b}\n',
    why: 'merge key into a bad spec',
    path: 'spec',
  },
  {
    file: A + 'Y-Upper.yaml',
    text: y(
      integ('Y-Upper', {
        type: 'registry.ecr',
        ecr: { region: 'us-east-1', auth: { mode: 'iamRole', roleArn: ROLE } },
      }),
    ),
    why: 'uppercase file and resource name',
    path: '',
  },
  { file: A + 'y-yml.yml', text: y(integ('y-yml', {})), why: '.yml extension', path: '' },
  {
    file: 'resources/runtimes/no-such-runtime/y-orphan.yaml',
    text: y(
      integ('y-orphan', {
        type: 'registry.ecr',
        ecr: { region: 'us-east-1', auth: { mode: 'iamRole', roleArn: ROLE } },
      }),
    ),
    why: 'integration for a runtime that does not exist',
    path: '',
  },
  {
    file: 'resources/control-planes/y-extra.yaml',
    text: y(integ('y-extra', {})),
    why: 'an Integration in the control-plane folder',
    path: 'kind',
  },
  {
    file: 'runtimes/y-rt/runtime.yaml',
    text: y({
      apiVersion: 'imagetrail.dev/v1alpha1',
      kind: 'Runtime',
      metadata: { name: 'other' },
      spec: { type: 'spaceship', version: 'x', recipient: 'age1nope' },
    }),
    why: 'invalid Runtime with the wrong name',
    path: '',
  },
  {
    file: 'runtimes/y-rt2/runtime.yaml',
    text: y(integ('y-rt2', {})),
    why: 'an Integration where a Runtime belongs',
    path: 'kind',
  },
];
out('yaml-resources.json', yamls);
process.stdout.write(`corpus written to ${here}\n`);
