import type { OperationTypeNode } from 'graphql';
import type { Principal } from '@chatgraph/kit';
import { refusal, type Refusal } from './refusal';

/** The API-key scope that allows mutations; keys without it are read-only. */
export const WRITE_SCOPE = 'write';

const READ_ONLY = refusal('FORBIDDEN', `This API key is read-only: mutations need the "${WRITE_SCOPE}" scope`, {
  requiredScope: WRITE_SCOPE,
});

/**
 * Read-only API keys may query but not mutate. Checked once the operation is known and before
 * anything is fetched, so a refused mutation has no side effect anywhere.
 */
export function checkWriteScope(principal: Principal, operation: OperationTypeNode): Refusal | undefined {
  if (operation !== 'mutation' || principal.kind !== 'user' || principal.via !== 'apiKey') return undefined;
  return (principal.scopes ?? []).includes(WRITE_SCOPE) ? undefined : READ_ONLY;
}
