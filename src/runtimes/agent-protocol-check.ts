import { AGENT_PROTOCOL } from '../contract/agent-protocol.js';
import { InputError, NotAllowedError } from '../domain/errors.js';
import { hasScope, type Principal } from '../store/token-store.js';

/** An agent of another protocol version is told so, with both versions and what to do. */
export function checkProtocol(raw: unknown): void {
  const p = (raw as { protocol?: unknown } | null)?.protocol;
  if (p === AGENT_PROTOCOL) return;
  const theirs = typeof p === 'number' ? `protocol ${p}` : 'no protocol version';
  throw new InputError(
    `This control plane speaks agent protocol ${AGENT_PROTOCOL}; the agent sent ${theirs}.`,
    {
      hints: [
        typeof p === 'number' && p > AGENT_PROTOCOL
          ? 'The agent is newer than the control plane: upgrade the control plane first, or run an agent of its version.'
          : 'Run an agent of the same imagetrail version as the control plane.',
      ],
    },
  );
}

/** Runtime credentials act for their runtime only (admin, which implies every scope, passes too). */
export function assertRuntime(principal: Principal, runtime: string): void {
  if (hasScope(principal, `runtime:${runtime}`)) return;
  throw new NotAllowedError(
    `The credential "${principal.name}" may not act for runtime "${runtime}": it needs the runtime:${runtime} scope.`,
    { hints: ["An agent works only for the runtime it registered for; check the agent's --runtime."] },
  );
}
