/**
 * Every `CF_*` variable that Codefresh's report-image client, its GitHub Action (`action.yaml`) and its
 * pipeline step (`step.yaml`) document, and what imagetrail does with it. One table for the CLI
 * (`report-image`), the Codefresh-compatible SSE endpoint and docs/migrate-from-codefresh.md (a test keeps
 * the doc's table in step with this one).
 *
 * - `report`: becomes a field of the image report (`field` names it in `CfField`).
 * - `connection`: how the client reaches the server (URL, key, runtime lookup); never part of a report.
 * - `client`: a switch of the client process itself (logging, TLS); the server has nothing to apply.
 * - `credential`: a secret; imagetrail takes credentials from integrations only, so it is ignored with a
 *   warning and never copied anywhere.
 * - `integration-setting`: a setting that lives on the integration in imagetrail (hosts, regions); ignored
 *   with a warning that says where to set it.
 * - `not-applied`: understood but not applied; ignored with a warning that says why.
 */
export type CfKind =
  'report' | 'connection' | 'client' | 'credential' | 'integration-setting' | 'not-applied';

export interface CfVariable {
  kind: CfKind;
  /** What it means here, one sentence (also the doc's table cell). */
  meaning: string;
}

export const CF_VARIABLES = {
  CF_API_KEY: {
    kind: 'connection',
    meaning: 'an imagetrail API token with the report (or runtime:NAME) scope',
  },
  CF_HOST: { kind: 'connection', meaning: "imagetrail's URL (the CLI's server; the client's host)" },
  CF_RUNTIME_NAME: {
    kind: 'report',
    meaning: 'the imagetrail runtime that enriches the image (the client looks it up on CF_PLATFORM_URL)',
  },
  CF_PLATFORM_URL: {
    kind: 'connection',
    meaning: "imagetrail's URL, where the client looks CF_RUNTIME_NAME up (POST /2.0/api/graphql)",
  },
  CF_LOCAL: { kind: 'connection', meaning: 'the client calls /api/image-report instead of /app-proxy/…' },
  CF_IMAGE: { kind: 'report', meaning: 'the image reference to enrich' },
  CF_CONTAINER_REGISTRY_INTEGRATION: {
    kind: 'report',
    meaning: 'the registry integration (name rule below)',
  },
  CF_ISSUE_TRACKING_INTEGRATION: { kind: 'report', meaning: 'the issue.jira integration (name rule below)' },
  CF_JIRA_INTEGRATION: { kind: 'report', meaning: 'deprecated spelling of CF_ISSUE_TRACKING_INTEGRATION' },
  CF_JIRA_PROJECT_PREFIX: { kind: 'report', meaning: 'Jira project prefixes (PROJ,OPS) or /regex/flags' },
  CF_JIRA_MESSAGE: { kind: 'report', meaning: 'text to find issue keys in' },
  CF_JIRA_FAIL_ON_NOT_FOUND: {
    kind: 'report',
    meaning: 'fail when a referenced issue does not exist (boolean)',
  },
  CF_GIT_PROVIDER: {
    kind: 'report',
    meaning: 'github, gitlab, bitbucket, bitbucket-server or gerrit, in any case',
  },
  CF_GIT_REPO: { kind: 'report', meaning: 'owner/repo or a clone URL' },
  CF_GIT_BRANCH: { kind: 'report', meaning: 'the branch that was built' },
  CF_GIT_REVISION: { kind: 'report', meaning: 'the commit SHA that was built' },
  CF_GIT_SHA: { kind: 'report', meaning: 'older spelling of CF_GIT_REVISION (2022 Action)' },
  CF_GIT_INTEGRATION: {
    kind: 'report',
    meaning: 'the git.github integration for pull requests (name rule below)',
  },
  CF_WORKFLOW_NAME: { kind: 'report', meaning: 'the CI workflow or pipeline name' },
  CF_WORKFLOW_URL: { kind: 'report', meaning: 'link to the CI run (http or https)' },
  CF_LOGS_URL: { kind: 'report', meaning: 'link to the CI logs (http or https)' },
  CF_CI_TYPE: { kind: 'report', meaning: 'github-actions, classic, jenkins, gitlab, … (free text)' },
  CF_DOCKERFILE_CONTENT: {
    kind: 'report',
    meaning: "the Dockerfile, base64; kept with the build and shown on the image's Dockerfile tab (≤ 64 KiB)",
  },
  CF_INSECURE: { kind: 'client', meaning: "the client's TLS switch; nothing for the server to apply" },
  CF_VERBOSE: { kind: 'client', meaning: "the client's debug logging; nothing for the server to apply" },
  CF_REGISTRY_USERNAME: { kind: 'credential', meaning: 'registry user: use a registry integration' },
  CF_REGISTRY_PASSWORD: { kind: 'credential', meaning: 'registry password: use a registry integration' },
  CF_REGISTRY_DOMAIN: {
    kind: 'credential',
    meaning: 'registry of the explicit credentials: use an integration',
  },
  CF_DOCKERHUB_USERNAME: { kind: 'credential', meaning: 'Docker Hub user: use a registry integration' },
  CF_DOCKERHUB_PASSWORD: { kind: 'credential', meaning: 'Docker Hub password: use a registry integration' },
  CF_GOOGLE_JSON_KEY: {
    kind: 'credential',
    meaning: 'Google service-account key: use a registry integration',
  },
  CF_AWS_ROLE: { kind: 'credential', meaning: 'IAM role: set it on the ECR integration (--role-arn)' },
  CF_GITHUB_TOKEN: { kind: 'credential', meaning: 'GitHub token: use a git.github integration' },
  CF_GITLAB_TOKEN: { kind: 'credential', meaning: 'GitLab token: not supported as an integration yet' },
  CF_BITBUCKET_USERNAME: {
    kind: 'credential',
    meaning: 'Bitbucket user: not supported as an integration yet',
  },
  CF_BITBUCKET_PASSWORD: {
    kind: 'credential',
    meaning: 'Bitbucket password: not supported as an integration yet',
  },
  CF_GERRIT_USERNAME: { kind: 'credential', meaning: 'Gerrit user: not supported as an integration yet' },
  CF_GERRIT_PASSWORD: { kind: 'credential', meaning: 'Gerrit password: not supported as an integration yet' },
  CF_JIRA_API_TOKEN: { kind: 'credential', meaning: 'Jira API token: use an issue.jira integration' },
  CF_JIRA_SERVER_PAT: { kind: 'credential', meaning: 'Jira PAT: use an issue.jira integration' },
  CF_JIRA_EMAIL: { kind: 'credential', meaning: 'Jira account: set it on the issue.jira integration' },
  CF_JIRA_HOST_URL: {
    kind: 'integration-setting',
    meaning: 'Jira URL: set it on the issue.jira integration',
  },
  CF_GITHUB_API_HOST_URL: {
    kind: 'integration-setting',
    meaning: 'GitHub Enterprise API URL: set it on the git.github integration',
  },
  CF_GITHUB_API_PATH_PREFIX: {
    kind: 'integration-setting',
    meaning: 'GitHub Enterprise API path: part of the git.github integration URL',
  },
  CF_GITLAB_HOST_URL: {
    kind: 'integration-setting',
    meaning: 'GitLab URL: not supported as an integration yet',
  },
  CF_BITBUCKET_HOST_URL: {
    kind: 'integration-setting',
    meaning: 'Bitbucket URL: not supported as an integration yet',
  },
  CF_GERRIT_HOST_URL: {
    kind: 'integration-setting',
    meaning: 'Gerrit URL: not supported as an integration yet',
  },
  CF_REGISTRY_INSECURE: {
    kind: 'integration-setting',
    meaning: 'plain-HTTP registry: set the registry endpoint on the integration',
  },
  CF_GOOGLE_REGISTRY_HOST: {
    kind: 'integration-setting',
    meaning: 'GAR/GCR host: imagetrail reads ECR only',
  },
  CF_AWS_REGION: { kind: 'integration-setting', meaning: 'AWS region: taken from the image host' },
  CF_GERRIT_CHANGE_ID: { kind: 'not-applied', meaning: 'Gerrit change id: Gerrit is not an integration yet' },
  CF_GITHUB_CONTEXT: {
    kind: 'not-applied',
    meaning: 'the GitHub Actions context: pass CF_GIT_REPO, CF_GIT_BRANCH and CF_GIT_REVISION instead',
  },
  CF_ENRICHERS: {
    kind: 'not-applied',
    meaning: 'deprecated upstream: every enricher whose integration is named runs',
  },
} as const satisfies Record<string, CfVariable>;

export type CfName = keyof typeof CF_VARIABLES;

export function isKnownCfVariable(name: string): name is CfName {
  return Object.hasOwn(CF_VARIABLES, name);
}
