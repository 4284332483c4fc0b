/**
 * The only place that turns problem codes into HTTP: status, title and the `application/problem+json` body of
 * RFC 9457. `problemStatus` is a Record over the closed code union, so adding a code without a mapping does not
 * compile. Unknown errors become a bare 500 naming the request id; their cause goes to the log only.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, isDomainError, type FieldError, type ProblemCode } from '../domain/errors.js';

export const problemStatus: Record<ProblemCode, { status: number; title: string }> = {
  validation_failed: { status: 400, title: 'The request is not valid' },
  malformed_json: { status: 400, title: 'The body is not valid JSON' },
  body_too_large: { status: 413, title: 'The body is too large' },
  unsupported_media_type: { status: 415, title: 'This media type is not accepted here' },
  unauthenticated: { status: 401, title: 'A valid API key is required' },
  insufficient_scope: { status: 403, title: "The API key's scopes do not allow this" },
  not_found: { status: 404, title: 'No such resource' },
  program_not_found: { status: 404, title: 'No such programme' },
  member_not_found: { status: 404, title: 'No such member' },
  rule_not_found: { status: 404, title: 'No such rule' },
  member_external_id_taken: { status: 409, title: 'A member with this externalId exists' },
  referral_code_unknown: { status: 422, title: 'No member has this referral code' },
  event_id_reused_with_different_body: { status: 409, title: 'This event id was used for a different event' },
  idempotency_key_reused_with_different_body: { status: 409, title: 'This Idempotency-Key was used for a different request' },
  order_already_recorded: { status: 409, title: 'This order was already recorded' },
  order_not_found: { status: 422, title: 'No purchase with this orderId' },
  refund_exceeds_order: { status: 422, title: 'The refund exceeds what is left of the order' },
  currency_mismatch: { status: 422, title: "The currency is not the programme's" },
  unknown_currency: { status: 422, title: 'Unknown currency' },
  occurred_at_in_future: { status: 422, title: 'occurredAt lies in the future' },
  event_data_too_large: { status: 422, title: 'The event data exceeds a limit' },
  insufficient_points: { status: 422, title: 'Not enough points' },
  points_limit_exceeded: { status: 422, title: 'Points limit exceeded' },
  rule_condition_invalid: { status: 422, title: 'The rule condition is not valid CEL' },
  rule_effect_invalid: { status: 422, title: 'The rule effects are not valid' },
  invalid_cursor: { status: 400, title: 'The cursor is not valid' },
  reward_not_found: { status: 404, title: 'No such reward' },
  redemption_not_found: { status: 404, title: 'No such redemption' },
  coupon_not_found: { status: 404, title: 'No such coupon' },
  membership_plan_not_found: { status: 404, title: 'No such membership plan' },
  membership_not_found: { status: 404, title: 'No such membership' },
  webhook_endpoint_not_found: { status: 404, title: 'No such webhook endpoint' },
  webhook_delivery_not_found: { status: 404, title: 'No such webhook delivery' },
  member_blocked: { status: 422, title: 'The member is blocked' },
  member_erased: { status: 409, title: 'The member was erased' },
  reward_not_available: { status: 422, title: 'The reward is not available' },
  reward_not_redeemable: { status: 422, title: 'The reward cannot be redeemed for points' },
  reward_not_issuable: { status: 422, title: 'The reward cannot be given now' },
  reward_tier_required: { status: 422, title: "The member's tier does not give access to this reward" },
  reward_limit_reached: { status: 422, title: 'The member reached the limit for this reward' },
  reward_out_of_stock: { status: 409, title: 'The reward is out of stock' },
  redemption_not_cancellable: { status: 409, title: 'The redemption cannot be cancelled' },
  coupon_already_used: { status: 409, title: 'The coupon was already used' },
  coupon_expired: { status: 422, title: 'The coupon has expired' },
  coupon_not_active: { status: 422, title: 'The coupon cannot be used' },
  coupon_code_taken: { status: 409, title: 'This coupon code exists' },
  webhook_url_refused: { status: 422, title: 'The webhook URL is refused' },
  membership_ended: { status: 409, title: 'The membership has ended' },
  referral_not_found: { status: 404, title: 'No such referral' },
  referral_program_disabled: { status: 422, title: 'The referral programme is off' },
  referral_code_refused: { status: 422, title: 'This referral code cannot be used' },
  referral_code_taken: { status: 409, title: 'This referral code is taken' },
  referral_code_already_customised: { status: 409, title: 'The referral code was already customised' },
  self_referral: { status: 422, title: 'A member cannot refer themself' },
  referral_not_reviewable: { status: 409, title: 'The referral is not awaiting review' },
  referral_not_retryable: { status: 409, title: 'The referral has no failed reward to retry' },
  earn_hold_not_found: { status: 404, title: 'No such held award' },
  earn_hold_not_reviewable: { status: 409, title: 'The held award was already decided' },
  csrf_token_invalid: { status: 403, title: 'The CSRF token is missing or wrong' },
  invalid_credentials: { status: 401, title: 'Wrong e-mail or password' },
  login_locked: { status: 429, title: 'Too many failed logins' },
  rate_limited: { status: 429, title: 'Too many requests' },
  program_not_selected: { status: 400, title: 'Name the programme' },
  program_access_denied: { status: 403, title: 'No role in this programme' },
  user_not_found: { status: 404, title: 'No such user' },
  team_member_exists: { status: 409, title: 'Already a team member' },
  last_owner: { status: 409, title: 'A programme keeps an owner' },
  weak_password: { status: 422, title: 'The password is too weak' },
  api_key_not_found: { status: 404, title: 'No such API key' },
  portal_token_invalid: { status: 401, title: 'The member token is not valid' },
  portal_key_not_found: { status: 404, title: 'No such portal secret' },
  bulk_operation_not_found: { status: 404, title: 'No such bulk operation' },
  reward_image_invalid: { status: 422, title: 'The picture is not what its Content-Type says' },
  program_slug_taken: { status: 409, title: 'This programme slug is taken' },
};

/** The stable `type` URI of a problem: a path on this server, e.g. `/problems/insufficient-points`. */
export function problemType(code: ProblemCode): string {
  return `/problems/${code.replaceAll('_', '-')}`;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  errors?: FieldError[];
  instance?: string;
}

export function problemBody(error: DomainError): ProblemBody {
  const { status, title } = problemStatus[error.code];
  const body: ProblemBody = { type: problemType(error.code), title, status, detail: error.detail, code: error.code };
  if (error.errors.length > 0) body.errors = error.errors;
  return body;
}

export function sendProblem(reply: FastifyReply, error: DomainError): FastifyReply {
  const body = problemBody(error);
  return reply.code(body.status).type('application/problem+json').send(body);
}

export interface AjvIssue {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

/** Schema validation failures become `validation_failed` with one pointer per offending field. */
function fromValidation(error: FastifyError): DomainError {
  const part = error.validationContext ?? 'body';
  return validationProblem((error.validation ?? []) as AjvIssue[], part === 'body' ? '' : `/${part}`);
}

/** Ajv's issues as one `validation_failed` problem; `prefix` places them (e.g. `/querystring`). */
export function validationProblem(issues: readonly AjvIssue[], prefix = ''): DomainError {
  const all: FieldError[] = issues.map((issue) => {
    let pointer = `${prefix}${issue.instancePath ?? ''}`;
    if (issue.keyword === 'required' && typeof issue.params?.missingProperty === 'string') {
      pointer += `/${issue.params.missingProperty}`;
      return { pointer, detail: `${issue.params.missingProperty} is required.` };
    }
    if (issue.keyword === 'additionalProperties' && typeof issue.params?.additionalProperty === 'string') {
      pointer += `/${issue.params.additionalProperty}`;
      return { pointer, detail: `${issue.params.additionalProperty} is not a known field.` };
    }
    // An empty pointer is the whole document (RFC 6901), e.g. a body that is not an object.
    return { pointer, detail: `${pointer || 'the body'} ${issue.message ?? 'is not valid'}.` };
  });
  // A union (e.g. "an object or null") fails as a whole at its own pointer after its branches failed deeper
  // down; the deepest errors name the field to fix, so an error above another one is left out.
  const errors = all.filter(
    (error, i) =>
      !all.some((other) => other.pointer.startsWith(`${error.pointer}/`)) &&
      all.findIndex((other) => other.pointer === error.pointer) === i,
  );
  const first = errors[0];
  return new DomainError('validation_failed', first ? `${first.pointer}: ${first.detail}` : 'The request is not valid.', errors);
}

/** Maps whatever a route threw to a problem: domain errors, Fastify's own, or an unexpected one (500). */
export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (isDomainError(error)) return sendProblem(reply, error);
  if (error.validation) return sendProblem(reply, fromValidation(error));
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return sendProblem(reply, new DomainError('malformed_json', 'The body could not be parsed as JSON.'));
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return sendProblem(reply, new DomainError('body_too_large', 'The body exceeds the size this endpoint accepts.'));
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return sendProblem(reply, new DomainError('unsupported_media_type', 'Send the body as application/json.'));
  }
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return sendProblem(reply, new DomainError('validation_failed', error.message));
  }
  request.log.error({ err: error }, 'unexpected error');
  return reply
    .code(500)
    .type('application/problem+json')
    .send({ type: 'about:blank', title: 'Internal Server Error', status: 500, detail: `Something went wrong; quote request id ${request.id}.` });
}
