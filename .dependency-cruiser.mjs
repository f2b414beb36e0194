/** @type {import('dependency-cruiser').IConfiguration} */

// An integration type's browser-safe files (its definition: stored spec, secrets, endpoints, runtime rule,
// CLI flags and form fields as data) and the registry of definitions. They sit at the contract's level:
// the config repository, logging, the dashboard and the docs read them; they import only domain and
// contract code, never their type's server files (handler.ts) nor the clients.
const TYPE_DEFINITION =
  '^src/integrations/types/(definition|definitions|form-model)\\.ts$|^src/integrations/types/[^/]+/(kind|form|flags|definition|view)\\.ts$';
// Layers of shared/DESIGN.md, lowest first: domain, contract, logging, store | config-repo, integrations,
// runtimes, enrichment, then the edges (server, cli, agent, action). A module may import only layers below
// it; the dashboard only browser-safe shared code. Type-only imports count for layers, not for cycles.
export default {
  forbidden: [
    {
      name: 'browser-safe',
      severity: 'error',
      comment: 'the shared contract and the dashboard run in browsers: no Node built-ins',
      from: { path: ['^(src/contract|web/src)/', TYPE_DEFINITION] },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'type-definition-browser-safe',
      severity: 'error',
      comment:
        "an integration type's definition files import only domain, contract and other definition files (not its handler, not the clients)",
      from: { path: TYPE_DEFINITION },
      to: { path: '^src/', pathNot: ['^src/(domain|contract)/', TYPE_DEFINITION] },
    },
    {
      name: 'layer-domain',
      severity: 'error',
      comment:
        'domain sits below contract, store, config-repo, integrations, runtimes, enrichment, server, cli, agent, action, logging, deployments',
      from: { path: '^src/domain/' },
      to: {
        path: '^src/(contract|store|config-repo|integrations|runtimes|enrichment|server|cli|agent|action|logging|deployments)/',
      },
    },
    {
      name: 'layer-contract',
      severity: 'error',
      comment:
        'contract sits below store, config-repo, integrations, runtimes, enrichment, server, cli, agent, action, logging, deployments',
      from: { path: '^src/contract/' },
      to: {
        path: '^src/(store|config-repo|integrations|runtimes|enrichment|server|cli|agent|action|logging|deployments)/',
      },
    },
    {
      name: 'layer-logging',
      severity: 'error',
      comment:
        'logging sits below store, config-repo, integrations, runtimes, enrichment, server, cli, agent, action, deployments',
      from: { path: '^src/logging/' },
      to: {
        path: '^src/(store|config-repo|integrations|runtimes|enrichment|server|cli|agent|action|deployments)/',
        pathNot: TYPE_DEFINITION,
      },
    },
    {
      name: 'layer-store',
      severity: 'error',
      comment:
        'store sits below config-repo, integrations, runtimes, enrichment, server, cli, agent, action, deployments',
      from: { path: '^src/store/' },
      to: {
        path: '^src/(config-repo|integrations|runtimes|enrichment|server|cli|agent|action|deployments)/',
        pathNot: TYPE_DEFINITION,
      },
    },
    {
      name: 'layer-config-repo',
      severity: 'error',
      comment:
        'config-repo sits below store, integrations, runtimes, enrichment, server, cli, agent, action, deployments',
      from: { path: '^src/config-repo/' },
      to: {
        path: '^src/(store|integrations|runtimes|enrichment|server|cli|agent|action|deployments)/',
        pathNot: TYPE_DEFINITION,
      },
    },
    {
      name: 'layer-integrations',
      severity: 'error',
      comment: 'integrations sits below runtimes, enrichment, server, cli, agent, action, deployments',
      from: { path: '^src/integrations/' },
      to: { path: '^src/(runtimes|enrichment|server|cli|agent|action|deployments)/' },
    },
    {
      name: 'layer-runtimes',
      severity: 'error',
      comment: 'runtimes sits below enrichment, server, cli, agent, action, deployments',
      from: { path: '^src/runtimes/' },
      to: { path: '^src/(enrichment|server|cli|agent|action|deployments)/' },
    },
    {
      name: 'layer-enrichment',
      severity: 'error',
      comment: 'enrichment sits below server, cli, agent, action',
      from: { path: '^src/enrichment/' },
      to: { path: '^src/(server|cli|agent|action)/' },
    },
    {
      name: 'web-only-contract',
      severity: 'error',
      comment: 'the dashboard bundles only browser-safe shared code',
      from: { path: '^web/' },
      to: { path: '^src/', pathNot: ['^src/(contract|domain)/', TYPE_DEFINITION] },
    },
    {
      name: 'no-runtime-cycle',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '\\.test\\.tsx?$' },
  },
};
