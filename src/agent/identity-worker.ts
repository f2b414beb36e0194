import { lookupIdentity } from './identity-lookup.js';

// The agent's identity child process (identity.ts): one lookup, printed as JSON for the agent; then the
// process ends, and the STS client's memory with it (a worker thread's is not given back to the system).
const timeoutMs = Number(process.argv[2] ?? '10000');
process.stdout.write(JSON.stringify(await lookupIdentity(timeoutMs)) + '\n');
