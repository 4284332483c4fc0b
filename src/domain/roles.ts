/**
 * Team roles and what each may do. A role grants API scopes (domain/scopes.ts), so one check — `hasScope` —
 * decides for API keys and for people alike. Owners hold everything, including the team, the API keys, the
 * audit log and the member portal's secrets; the other roles are cut to a job: configuring the programme
 * (manager), helping members (support), reading (analyst).
 */
import { DomainError } from './errors.js';
import { apiScopes, type ApiScope } from './scopes.js';

export const teamRoles = ['owner', 'manager', 'support', 'analyst'] as const;
export type TeamRole = (typeof teamRoles)[number];

const ownerOnly: readonly ApiScope[] = ['team:write', 'keys:write', 'audit:read', 'portal:write'];

const supportScopes: readonly ApiScope[] = [
  'members:read',
  'members:write',
  'redemptions:write',
  'coupons:write',
  'referrals:read',
  'referrals:review',
  'fraud:read',
  'fraud:write',
  'rewards:read',
  'tiers:read',
  'rules:read',
];

/** The scopes of each role; `*` is every scope, present and future. */
export const roleScopes: Readonly<Record<TeamRole, readonly string[]>> = {
  owner: ['*'],
  manager: apiScopes.filter((scope) => !ownerOnly.includes(scope)),
  support: supportScopes,
  // Every read, and the dashboard's figures; audit:read stays with owners because the log holds who did what.
  analyst: apiScopes.filter((scope) => (scope.endsWith(':read') && scope !== 'audit:read') || scope === 'analytics:read'),
};

export function isTeamRole(value: string): value is TeamRole {
  return (teamRoles as readonly string[]).includes(value);
}

/**
 * The password policy: long enough and not one of the passwords every attacker tries first. Length beats
 * composition rules (NIST SP 800-63B), so there are none of those.
 * @throws DomainError weak_password, naming `pointer`
 */
export function checkPasswordStrength(password: string, pointer: string): void {
  if ([...password].length < minimumPasswordLength) {
    throw DomainError.field('weak_password', pointer, `A password has at least ${minimumPasswordLength} characters.`);
  }
  if (commonPasswords.has(password.toLowerCase())) {
    throw DomainError.field('weak_password', pointer, 'This password is one of the most common ones; choose another.');
  }
}

export const minimumPasswordLength = 12;

// The long entries of public most-common-password lists: shorter ones already fail the length rule.
const commonPasswords: ReadonlySet<string> = new Set([
  '123456789012',
  '1234567890123',
  '12345678901234',
  '123456123456',
  '111111111111',
  '000000000000',
  '123123123123',
  'aaaaaaaaaaaa',
  'abcdefghijkl',
  'abc123abc123',
  'password1234',
  'password123!',
  'password12345',
  'passwordpassword',
  'password@123',
  'qwerty123456',
  'qwertyuiop12',
  'qwertyuiopasdf',
  'qwertyuiopasdfgh',
  '1q2w3e4r5t6y',
  '1qaz2wsx3edc',
  'iloveyou1234',
  'welcome12345',
  'letmein12345',
  'changeme1234',
  'administrator',
  'administrator1',
  'trustno1trustno1',
  'sunshine1234',
  'football1234',
  'baseball1234',
  'princess1234',
  'monkey123456',
  'dragon123456',
  'starwars1234',
  'superman1234',
  'correcthorsebatterystaple',
  'wachtwoord12',
  'wachtwoord123',
  'wachtwoord1234',
]);
