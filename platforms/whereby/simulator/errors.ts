import type { SimResponse } from '../../daily/simulator/http.ts';

/** An answer in Whereby's error shape: `{"error": <message>}`, with `data` where Whereby adds it (the 429's msLeft). */
export class WherebySimError extends Error {
  readonly status: number;
  readonly data: Record<string, unknown> | undefined;
  readonly headers: Record<string, string>;
  constructor(status: number, message: string, options: { data?: Record<string, unknown>; headers?: Record<string, string> } = {}) {
    super(message);
    this.name = 'WherebySimError';
    this.status = status;
    this.data = options.data;
    this.headers = options.headers ?? {};
  }

  response(): SimResponse {
    return { status: this.status, json: { error: this.message, ...(this.data && { data: this.data }) } };
  }
}

export const badRequest = (message: string) => new WherebySimError(400, message);
export const notFound = (message: string) => new WherebySimError(404, message);
