/**
 * Repeats and summaries. The machine is shared and noisy (runs vary by 5–15 %), so every figure is the median of
 * a few runs, reported with its range so a reader can see how much to trust it.
 */

export interface Summary {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export function summarise(values: readonly number[]): Summary {
  if (values.length === 0) throw new Error('nothing to summarise');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)!, runs: [...values] };
}

/** Runs `measure` `times` times one after another, logging each run's headline as it lands. */
export async function repeat<T>(times: number, label: string, measure: (run: number) => Promise<T>, headline: (result: T) => string): Promise<T[]> {
  const results: T[] = [];
  for (let run = 1; run <= times; run++) {
    const result = await measure(run);
    console.log(`  ${label} run ${run}/${times}: ${headline(result)}`);
    results.push(result);
  }
  return results;
}

/** Summarises one metric across runs of a measurement that reports several. */
export function summariseBy<T>(results: readonly T[], metric: (result: T) => number): Summary {
  return summarise(results.map(metric));
}

/** A whole number with thousands separators, as the tables print rates. */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Milliseconds with one decimal below 10 (where the decimal still tells something), whole above. */
export function formatMs(value: number): string {
  return value < 10 ? value.toFixed(1) : Math.round(value).toString();
}
