// The generic OCI / Docker Registry HTTP API v2 integration: used directly for any v2 registry and by
// registry/ecr for blobs and configs (authenticated with the ECR token).
export * from './auth.js';
export * from './cache.js';
export * from './client.js';
export * from './errors.js';
export * from './inspect.js';
export * from './reference.js';
export * from './referrers.js';
export * from './schema.js';
