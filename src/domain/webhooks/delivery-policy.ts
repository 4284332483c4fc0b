/**
 * When a webhook delivery is tried again, when it is given up, and when an endpoint is disabled. Pure: the
 * services pass `now` and the counts.
 *
 * Retries follow the schedule the Standard Webhooks specification suggests: after a failed attempt the next one
 * is due 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h later; the eighth failed attempt (about 27.6 hours after
 * the first) makes the delivery `failed`. A failure is any answer outside 2xx (redirects are not followed), a
 * network error, a timeout or a refused address.
 *
 * An endpoint is disabled when every attempt to it has failed for `disableAfterFailingMs` (5 days): the clock
 * starts at the first failed attempt after a success (or ever) and any 2xx stops it. Counting time rather than
 * failed deliveries means a dead endpoint is switched off after the same five days whether it receives one
 * message a day or a thousand, and a burst of failures during a short outage never disables a healthy one
 * (its retries reach a 2xx first). It is the rule Svix applies as well. Disabled endpoints get no new
 * deliveries; the ones already pending wait, and go out when the endpoint is enabled again.
 */

/** Wait before attempt n+2 after attempt n+1 failed (index n). */
export const retryDelaysMs: readonly number[] = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
];

/** Attempts per round: the first plus one per retry delay. */
export const maxAttemptsPerRound = retryDelaysMs.length + 1;

export const disableAfterFailingMs = 5 * 86_400_000;

/**
 * What follows a failed attempt: the next due time, or null when the delivery has had its last attempt.
 * `roundAttempts` counts the attempts of this round including the one that just failed.
 */
export function nextAttemptAfterFailure(roundAttempts: number, now: number): number | null {
  const delay = retryDelaysMs[roundAttempts - 1];
  return delay === undefined ? null : now + delay;
}

/** True when an endpoint failing since `failingSince` has failed long enough to be disabled at `now`. */
export function shouldDisableEndpoint(failingSince: number | null, now: number): boolean {
  return failingSince !== null && now - failingSince >= disableAfterFailingMs;
}

/** A 2xx answer is a delivery; anything else, including 3xx (redirects are not followed), is a failure. */
export function isSuccessStatus(statusCode: number | null): boolean {
  return statusCode !== null && statusCode >= 200 && statusCode < 300;
}
