/** Table types of the rewards catalogue, redemptions and coupons (migration 0003). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by the rewards capability
export interface RewardTables {}
