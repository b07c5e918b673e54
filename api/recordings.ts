// Recording management: list, get, status, delete (through a workflow), sharing, access log.
import type { Endpoint } from './endpoint.ts';

export const recordingEndpoints: Endpoint[] = [];
