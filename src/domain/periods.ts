/**
 * Calendar periods in the programme's timezone. "Per month", "December" and rule windows are evaluated where
 * the programme is, not in UTC (DESIGN.md §4.6): a purchase at 00:30 on 1 December in Amsterdam belongs to
 * December even though it is still 30 November in UTC.
 */
import { DateTime } from 'luxon';
import { DomainError } from './errors.js';

export type LimitPeriod = 'day' | 'week' | 'month' | 'year' | 'lifetime';
export const limitPeriods: readonly LimitPeriod[] = ['day', 'week', 'month', 'year', 'lifetime'];

/** A stable key naming the period that contains `at`, e.g. `month:2026-12`. Equal keys mean the same period. */
export function periodKey(period: LimitPeriod, at: Date, timezone: string): string {
  if (period === 'lifetime') return 'lifetime';
  const local = DateTime.fromJSDate(at, { zone: timezone });
  switch (period) {
    case 'day':
      return `day:${local.toFormat('yyyy-MM-dd')}`;
    case 'week':
      return `week:${local.toFormat("kkkk-'W'WW")}`;
    case 'month':
      return `month:${local.toFormat('yyyy-MM')}`;
    case 'year':
      return `year:${local.toFormat('yyyy')}`;
  }
}

export function isValidTimezone(timezone: string): boolean {
  return DateTime.local().setZone(timezone).isValid;
}

/** Adds whole calendar months in the programme's timezone (31 January + 1 month = 28/29 February). */
export function addMonths(at: Date, months: number, timezone: string): Date {
  return DateTime.fromJSDate(at, { zone: timezone }).plus({ months }).toJSDate();
}

export function addDays(at: Date, days: number, timezone: string): Date {
  return DateTime.fromJSDate(at, { zone: timezone }).plus({ days }).toJSDate();
}

/** `MM-DD` of an instant in the programme's timezone: the key of yearly triggers (birthday, anniversary). */
export function monthDay(at: Date, timezone: string): string {
  return DateTime.fromJSDate(at, { zone: timezone }).toFormat('MM-dd');
}

/**
 * A reporting period [from, to) given as RFC 3339 strings (stats and dashboards).
 * @throws DomainError validation_failed at /from or /to
 */
export function reportingPeriod(query: { from: string; to: string }): { from: number; to: number } {
  const from = Date.parse(query.from);
  const to = Date.parse(query.to);
  if (Number.isNaN(from)) throw DomainError.field('validation_failed', '/from', 'from is an RFC 3339 date-time.');
  if (Number.isNaN(to) || to <= from) throw DomainError.field('validation_failed', '/to', 'to is an RFC 3339 date-time after from.');
  return { from, to };
}
