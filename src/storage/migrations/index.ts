import type { Migration } from 'kysely';
import * as foundation from './0001-foundation.js';
import * as outbox from './0002-outbox.js';
import * as rewards from './0003-rewards.js';
import * as tiers from './0004-tiers.js';
import * as webhooks from './0005-webhooks.js';
import * as jobLeases from './0006-job-leases.js';
import * as referrals from './0007-referrals.js';
import * as earnHolds from './0008-earn-holds.js';
import * as team from './0009-team.js';
import * as portal from './0010-portal.js';
import * as bulkOperations from './0011-bulk-operations.js';
import * as rewardImages from './0012-reward-images.js';
import * as memberNameSearch from './0013-member-name-search.js';
import * as ledgerTrust from './0014-ledger-trust.js';
import * as referralRewards from './0015-referral-rewards.js';
import * as ruleFailures from './0016-rule-failures.js';

/** Every migration, in order. A migration on main is never edited: add a new one. */
export const migrations: Record<string, Migration> = {
  '0001-foundation': foundation,
  '0002-outbox': outbox,
  '0003-rewards': rewards,
  '0004-tiers': tiers,
  '0005-webhooks': webhooks,
  '0006-job-leases': jobLeases,
  '0007-referrals': referrals,
  '0008-earn-holds': earnHolds,
  '0009-team': team,
  '0010-portal': portal,
  '0011-bulk-operations': bulkOperations,
  '0012-reward-images': rewardImages,
  '0013-member-name-search': memberNameSearch,
  '0014-ledger-trust': ledgerTrust,
  '0015-referral-rewards': referralRewards,
  '0016-rule-failures': ruleFailures,
};
