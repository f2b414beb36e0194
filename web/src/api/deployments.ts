import * as z from 'zod';
import {
  ApplicationFacts,
  DeploymentFrequency,
  DeploymentInterval as IntervalContract,
  LeadTime as LeadTimeContract,
  LeadTimeReport as LeadTimeReportContract,
  type ApplicationSummary as ApplicationSummaryModel,
  type ApplicationView as ApplicationViewModel,
  type ImageDeployments as ImageDeploymentsModel,
} from '../../../src/contract/deployments.js';

/**
 * What the dashboard accepts from the deployment API (issue 13). The interval, lead time and Argo CD facts
 * are the shared contract's schemas (src/contract/deployments.ts), loosened so a newer server may add fields; the
 * read models the contract declares as types get schemas here, checked against them at compile time.
 */

export const DeploymentInterval = IntervalContract.loose();
export type DeploymentInterval = z.infer<typeof DeploymentInterval>;

const LeadTime = LeadTimeContract.loose();
export type LeadTime = z.infer<typeof LeadTime>;

const LeadTimeReport = LeadTimeReportContract.extend({
  items: z.array(LeadTime),
  frequency: z.array(DeploymentFrequency.loose()),
}).loose();
export type LeadTimeReport = z.infer<typeof LeadTimeReport>;

/** The `deployments` block of the image detail answer; absent when the server does not track deployments. */
export const ImageDeployments = z.object({
  running: z.array(DeploymentInterval),
  history: z.array(DeploymentInterval),
  discoveredInCluster: z.object({ runtime: z.string(), at: z.string() }).optional(),
  leadTime: LeadTime.optional(),
});
export type ImageDeployments = z.infer<typeof ImageDeployments>;

export const ApplicationSummary = z.object({
  application: z.string(),
  runtimes: z.array(z.string()),
  namespaces: z.array(z.string()),
  runningDigests: z.number(),
  replicas: z.number(),
  lastChangeAt: z.string(),
  app: ApplicationFacts.loose().optional(),
});
export type ApplicationSummary = z.infer<typeof ApplicationSummary>;
export const ApplicationList = z.object({ items: z.array(ApplicationSummary) });

export const RunningImage = z.object({
  interval: DeploymentInterval,
  tags: z.array(z.string()),
  build: z
    .object({
      workflowName: z.string().optional(),
      workflowUrl: z.string().optional(),
      reportedAt: z.string(),
    })
    .optional(),
  git: z
    .object({
      repo: z.string().optional(),
      branch: z.string().optional(),
      sha: z.string().optional(),
      message: z.string().optional(),
      time: z.string().optional(),
    })
    .optional(),
  pullRequests: z.array(z.object({ number: z.number(), title: z.string(), url: z.string() })),
  issues: z.array(z.object({ key: z.string(), title: z.string(), url: z.string() })),
  discoveredInCluster: z.boolean(),
});
export type RunningImage = z.infer<typeof RunningImage>;

export const ApplicationView = ApplicationSummary.extend({
  running: z.array(RunningImage),
  timeline: z.array(DeploymentInterval),
  leadTime: LeadTimeReport,
});
export type ApplicationView = z.infer<typeof ApplicationView>;

// Compile-time contract check: whatever the server's model allows, these schemas accept.
type Accepts<Schema extends z.ZodType, Model> = Model extends z.input<Schema> ? true : never;
/** @public A compile-time check, read by nothing at run time. */
export const deploymentContractChecks: [
  Accepts<typeof ImageDeployments, ImageDeploymentsModel>,
  Accepts<typeof ApplicationSummary, ApplicationSummaryModel>,
  Accepts<typeof ApplicationView, ApplicationViewModel>,
] = [true, true, true];
