import type { AgentView } from '../contract/agent-protocol.js';

/*
 * What a runtime's agents (newest first, `connected` as AgentDispatch.agentsOf computes it) say about
 * whether work for the runtime can be done now: one wording for the runtime views and the tasks.
 */

/** Why the newest agent is not serving: it said it stopped, or it has not been seen since. */
export function absenceOf(newest: AgentView): string {
  return newest.leftAt
    ? `its last agent stopped at ${newest.leftAt}`
    : `no agent connected since ${newest.lastSeenAt}`;
}

/**
 * No agent will take a task within its timeout: none ever registered, or none is connected and the newest
 * said it stopped. One that is only quiet (a network cut, every worker busy) may still come: waited for.
 */
export function nobodyComing(agents: AgentView[]): boolean {
  return !agents.some((a) => a.connected) && (agents.length === 0 || Boolean(agents[0]!.leftAt));
}
