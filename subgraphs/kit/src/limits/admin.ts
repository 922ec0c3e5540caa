import type { Ban, BanRegistry } from './bans';
import type { ListedPolicy, PolicyDirectory } from './directory';
import type { LimitPolicy } from './policy';

/**
 * What an ADMIN API calls (the rate-limit subgraph's resolvers): thin, so every check lives in
 * the directory and the registry, and the router and the subgraph share one implementation.
 */
export interface LimitsAdmin {
  policies: PolicyDirectory;
  bans: BanRegistry;
}

/** Validates and stores an override; every router applies it within a second. */
export function setPolicy(admin: LimitsAdmin, input: unknown): Promise<LimitPolicy> {
  return admin.policies.setPolicy(input);
}

/** Every policy in force, with its source. */
export function listPolicies(admin: LimitsAdmin): Promise<ListedPolicy[]> {
  return admin.policies.listPolicies();
}

/** Active bans, newest first. */
export function listBans(admin: LimitsAdmin): Promise<Ban[]> {
  return admin.bans.listBans();
}

/** Lifts a ban (BAD_USER_INPUT for a malformed principal); resolves whether one was active. */
export function liftBan(admin: LimitsAdmin, principal: string): Promise<boolean> {
  return admin.bans.liftBan(principal);
}
