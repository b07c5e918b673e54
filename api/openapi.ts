// The OpenAPI 3.1 document, generated from the endpoint declarations (api/endpoint.ts).
import type { Endpoint } from './endpoint.ts';

export const openApiEndpoints: Endpoint[] = [];
