// A simulator's control API as the browser calls it (through our origin, api/web-app.ts): JSON in and out, or
// audio bytes in; a refusal becomes a SimulatorError with the simulator's own words.

export class SimulatorError extends Error {
  override name = 'SimulatorError';
}

/** `reason` reads a refusal's words from the simulator's error body (each words its errors its own way). */
export function controlSender(base: string, reason: (answer: Record<string, unknown>) => unknown) {
  return async function send<T>(method: string, path: string, body?: Blob | object): Promise<T> {
    const raw = body instanceof Blob;
    const response = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': raw ? body.type || 'audio/webm' : 'application/json' },
      body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
    });
    const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok) {
      const words = reason(answer);
      throw new SimulatorError(typeof words === 'string' && words ? words : `simulator answered ${response.status}`);
    }
    return answer as T;
  };
}

/** espeak-ng voices the simulators know (platforms/daily/simulator/speech.ts), handed out in join order. */
export const SIMULATOR_VOICES = ['en-us', 'en-gb+f3', 'en-us+m3', 'en-gb-x-rp+f4', 'en+m1'] as const;
