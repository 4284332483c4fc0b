/** What an API key may do. `*` grants everything; a programme's first key has it. */
export const apiScopes = ['members:read', 'members:write', 'events:write', 'rules:read', 'rules:write'] as const;
export type ApiScope = (typeof apiScopes)[number];

export function hasScope(granted: readonly string[], needed: ApiScope): boolean {
  return granted.includes('*') || granted.includes(needed);
}
