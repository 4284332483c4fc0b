/**
 * The closed catalogue of problem codes. Domain and services throw `DomainError` with one of these; only
 * `src/http/problems.ts` knows how a code maps to an HTTP status. Every code has a heading in docs/problems.md
 * (a test keeps the two in step).
 */
export const problemCodes = [
  'validation_failed',
  'malformed_json',
  'body_too_large',
  'unsupported_media_type',
  'unauthenticated',
  'insufficient_scope',
  'not_found',
  'program_not_found',
  'member_not_found',
  'rule_not_found',
  'member_external_id_taken',
  'referral_code_unknown',
  'event_id_reused_with_different_body',
  'idempotency_key_reused_with_different_body',
  'order_already_recorded',
  'order_not_found',
  'refund_exceeds_order',
  'currency_mismatch',
  'unknown_currency',
  'occurred_at_in_future',
  'event_data_too_large',
  'insufficient_points',
  'points_limit_exceeded',
  'rule_condition_invalid',
  'rule_effect_invalid',
  'invalid_cursor',
  'reward_not_found',
  'redemption_not_found',
  'coupon_not_found',
  'membership_plan_not_found',
  'membership_not_found',
  'webhook_endpoint_not_found',
  'webhook_delivery_not_found',
  'member_blocked',
  'member_erased',
  'reward_not_available',
  'reward_not_redeemable',
  'reward_not_issuable',
  'reward_tier_required',
  'reward_limit_reached',
  'reward_out_of_stock',
  'redemption_not_cancellable',
  'coupon_already_used',
  'coupon_expired',
  'coupon_not_active',
  'coupon_code_taken',
  'webhook_url_refused',
  'membership_ended',
  'referral_not_found',
  'referral_program_disabled',
  'referral_code_refused',
  'referral_code_taken',
  'referral_code_already_customised',
  'self_referral',
  'referral_not_reviewable',
  'referral_not_retryable',
  'earn_hold_not_found',
  'earn_hold_not_reviewable',
  'csrf_token_invalid',
  'invalid_credentials',
  'login_locked',
  'rate_limited',
  'program_not_selected',
  'program_access_denied',
  'user_not_found',
  'team_member_exists',
  'last_owner',
  'weak_password',
  'api_key_not_found',
  'portal_token_invalid',
  'portal_key_not_found',
  'program_slug_taken',
  'bulk_operation_not_found',
  'reward_image_invalid',
] as const;

export type ProblemCode = (typeof problemCodes)[number];

export interface FieldError {
  /** JSON pointer into the request (RFC 6901), e.g. `/data/total`. */
  pointer: string;
  detail: string;
}

export class DomainError extends Error {
  readonly code: ProblemCode;
  readonly detail: string;
  readonly errors: FieldError[];

  constructor(code: ProblemCode, detail: string, errors: FieldError[] = []) {
    super(detail);
    this.name = 'DomainError';
    this.code = code;
    this.detail = detail;
    this.errors = errors;
  }

  /** An input error on one field: the detail names the field through its pointer. */
  static field(code: ProblemCode, pointer: string, detail: string): DomainError {
    return new DomainError(code, detail, [{ pointer, detail }]);
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}
