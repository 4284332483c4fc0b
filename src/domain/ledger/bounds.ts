/**
 * The documented bounds on points (README "Limits"). They keep every balance, lot and sum of a member far below
 * 2^53, where JavaScript numbers stop being exact, so no arithmetic on points ever rounds: a ledger entry moves
 * at most `maxPointsPerEntry`, and a member holds at most `maxMemberPoints` (available and pending together).
 * A write that would pass either is refused whole (422 points_limit_exceeded), never capped silently.
 */
import { DomainError } from '../errors.js';

// The largest purchase an event takes (10^12 minor units) at one point per whole unit fits one entry.
export const maxPointsPerEntry = 10_000_000_000;
export const maxMemberPoints = 100_000_000_000;

/**
 * Refuses an award or adjustment of `points` that would pass a bound, given what the member holds before it.
 * @throws DomainError points_limit_exceeded
 */
export function checkPointsBounds(points: number, held: { available: number; pending: number }, pointer: string | null): void {
  const refuse = (detail: string) => {
    throw pointer === null ? new DomainError('points_limit_exceeded', detail) : DomainError.field('points_limit_exceeded', pointer, detail);
  };
  if (Math.abs(points) > maxPointsPerEntry) refuse(`${points} points in one entry is more than the ${maxPointsPerEntry} a ledger entry may move.`);
  const after = held.available + held.pending + points;
  if (after > maxMemberPoints) refuse(`The member would hold ${after} points, more than the ${maxMemberPoints} a member may hold.`);
}
