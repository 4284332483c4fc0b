/**
 * The part of autocannon's programmatic API the bench uses. autocannon ships no types and @types/autocannon is
 * not a dependency (package.json is not ours to change), so this declares only what bench/lib/http-load.ts calls.
 */
declare module 'autocannon' {
  namespace autocannon {
    interface Request {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
      /** Called before each request; returns the request to send (a falsy value restarts the sequence). */
      setupRequest?: (request: Request, context: Record<string, unknown>) => Request | null | undefined;
      /** Called with each response; providing it makes autocannon keep response bodies. */
      onResponse?: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string>) => void;
    }

    interface Options {
      url: string;
      connections?: number;
      pipelining?: number;
      /** Seconds. */
      duration?: number;
      /** Requests to send in all; when set, the run ends once they are all answered and `duration` is ignored. */
      amount?: number;
      /** Seconds a request may take before it counts as a timeout. */
      timeout?: number;
      requests?: Request[];
      title?: string;
    }

    interface Histogram {
      average: number;
      mean: number;
      stddev: number;
      min: number;
      max: number;
      total: number;
      p50: number;
      p90: number;
      p97_5: number;
      p99: number;
    }

    interface Result {
      title?: string;
      url: string;
      requests: Histogram;
      /** Milliseconds. */
      latency: Histogram;
      throughput: Histogram;
      /** Seconds. */
      duration: number;
      errors: number;
      timeouts: number;
      non2xx: number;
      '2xx': number;
      statusCodeStats: Record<string, { count: number }>;
    }
  }

  function autocannon(options: autocannon.Options): Promise<autocannon.Result>;
  export = autocannon;
}
