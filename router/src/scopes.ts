import type { ApolloServerPlugin } from '@apollo/server';
import type { RouterContext } from './context';
import { refusal } from './refusal';

/** The API-key scope that allows mutations; keys without it are read-only. */
export const WRITE_SCOPE = 'write';

/**
 * Read-only API keys may query but not mutate. Checked once the operation is known and before
 * anything is fetched, so a refused mutation has no side effect anywhere.
 */
export function apiKeyScopePlugin(): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, contextValue }) {
          const { principal } = contextValue;
          if (operation?.operation !== 'mutation' || principal.kind !== 'user' || principal.via !== 'apiKey') return;
          if (!(principal.scopes ?? []).includes(WRITE_SCOPE)) {
            throw refusal('FORBIDDEN', `This API key is read-only: mutations need the "${WRITE_SCOPE}" scope`, { requiredScope: WRITE_SCOPE });
          }
        },
      };
    },
  };
}
