/** Table types of tiers, tier history, membership plans and memberships (migration 0004). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by the tiers capability
export interface TierTables {}
