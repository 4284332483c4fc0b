/**
 * The time buckets of a dashboard series: the period [from, to) cut at the starts of days, ISO weeks or months
 * in the programme's timezone, so a "day" is the shop's day (23 or 25 hours around daylight-saving changes) and
 * the first and last buckets are cut short by the period's ends.
 */
import { DateTime } from 'luxon';

export type BucketInterval = 'day' | 'week' | 'month';
export const bucketIntervals: readonly BucketInterval[] = ['day', 'week', 'month'];

/** At most this many buckets per series: a year of days, or longer periods by week or month. */
export const maxBuckets = 400;

export interface Bucket {
  /** The bucket's start as the programme's local date, `yyyy-MM-dd` (the Monday for weeks, the 1st for months). */
  label: string;
  from: number;
  to: number;
}

/** The buckets covering [from, to); null when there would be more than `maxBuckets`. */
export function bucketsOf(from: number, to: number, interval: BucketInterval, timezone: string): Bucket[] | null {
  const buckets: Bucket[] = [];
  let start = DateTime.fromMillis(from, { zone: timezone }).startOf(interval === 'week' ? 'week' : interval);
  while (start.toMillis() < to) {
    const next = start.plus(interval === 'day' ? { days: 1 } : interval === 'week' ? { weeks: 1 } : { months: 1 });
    buckets.push({ label: start.toFormat('yyyy-MM-dd'), from: Math.max(start.toMillis(), from), to: Math.min(next.toMillis(), to) });
    if (buckets.length > maxBuckets) return null;
    start = next;
  }
  return buckets;
}

/** Which bucket an instant falls in (binary search over the sorted buckets); -1 outside them. */
export function bucketIndex(buckets: readonly Bucket[], at: number): number {
  let low = 0;
  let high = buckets.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const bucket = buckets[mid] as Bucket;
    if (at < bucket.from) high = mid - 1;
    else if (at >= bucket.to) low = mid + 1;
    else return mid;
  }
  return -1;
}
