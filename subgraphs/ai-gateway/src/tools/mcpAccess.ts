import { parsePrincipalRecord, PRINCIPAL_KEYS, type Role } from '@chatgraph/kit';
import type { KeyValues } from '@chatgraph/kit/kv';
import type { McpServerConfig } from './mcpConfig';

/** The caller's current role, or null when it cannot be known (then a restricted server refuses). */
export type RoleLookup = (userId: string) => Promise<Role | null>;

/**
 * Reads a user's role from identity's principal directory in the shared kv (kit
 * `principalRecords.ts`), as the routers do: no call to identity, and a role change applies at the
 * next tool call. Null — so restricted servers refuse — when the directory is not published (no
 * `ready` marker), the user has no record, or the account is not active.
 */
export function principalDirectoryRoles(kv: KeyValues): RoleLookup {
  return async (userId) => {
    const [ready, raw] = await Promise.all([kv.get(PRINCIPAL_KEYS.ready), kv.get(PRINCIPAL_KEYS.user(userId))]);
    if (ready === null) return null;
    const record = parsePrincipalRecord(raw);
    return record?.status === 'active' ? record.role : null;
  };
}

/**
 * Whether `userId` may use `server`'s tools: anyone when the server names neither `allowedRoles`
 * nor `allowedUsers`; otherwise a listed user, or a user whose role is listed. The role is looked
 * up only when the user is not listed; a lookup that fails refuses (fail closed).
 */
export async function mayUseServer(server: McpServerConfig, userId: string, roleOf: RoleLookup): Promise<boolean> {
  if (!server.allowedRoles && !server.allowedUsers) return true;
  if (server.allowedUsers?.includes(userId)) return true;
  if (!server.allowedRoles) return false;
  const role = await roleOf(userId).catch(() => null);
  return role !== null && server.allowedRoles.includes(role);
}
