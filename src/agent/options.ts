import * as z from 'zod';
import { ResourceName } from '../domain/names.js';

/** `imagetrail agent`'s options, each flag with its variable (src/cli/commands/agent.ts). */
export const AgentOptions = z.object({
  server: z.url({
    protocol: /^https?$/,
    error: '--server (or IMAGETRAIL_SERVER) must be the http(s) URL of the control plane',
  }),
  runtime: ResourceName,
  dataDir: z.string().min(1).default('.imagetrail-agent'),
  concurrency: z.coerce.number().int().min(1).max(64).default(4),
  registrationTokenFile: z.string().min(1).optional(),
  healthPort: z.coerce.number().int().min(0).max(65535).optional(),
  /** Loopback unless told: in a pod the kubelet probes the pod's address (the manifest: 0.0.0.0). */
  healthHost: z.string().min(1).default('127.0.0.1'),
  allowEndpoints: z.array(z.string()).default([]),
  awsRequestTimeoutMs: z.coerce.number().int().min(100).max(300_000).default(10_000),
  awsMaxAttempts: z.coerce.number().int().min(1).max(10).default(3),
  /** How long one claim may wait at the control plane for work. */
  waitMs: z.coerce.number().int().min(0).max(60_000).default(20_000),
  /** On SIGTERM, running jobs get this long to finish before they are handed back. */
  shutdownGraceMs: z.coerce.number().int().min(0).max(600_000).default(10_000),
  /** Watch this cluster's pods and report where each digest runs (docs/deployments.md). */
  watchDeployments: z.boolean().default(false),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type AgentOptions = z.input<typeof AgentOptions>;
