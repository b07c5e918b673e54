// The answers we ask a model for, as zod schemas: zod validates every answer, and z.toJSONSchema gives the
// `response_format` schema. Refinements (non-empty, timestamps) are checked by zod only: they stay out of the
// JSON Schema, so servers with a smaller JSON Schema subset (llama.cpp, Ollama) accept it too.
import { z } from 'zod';
import { parseTimestamp } from './transcript-text.ts';

const text = (what: string, description: string) =>
  z.string().refine((value) => value.trim().length > 0, `${what} must not be empty`).describe(description);

export function chunkTopicsAnswerSchema(maxTopics: number) {
  return z.object({
    topics: z
      .array(
        z.object({
          title: text('title', 'A short title for the topic, a few words.'),
          summary: text('summary', 'Two to four sentences on what was said or decided, naming who said it.'),
          start: z
            .string()
            .refine((value) => parseTimestamp(value) !== null, 'start must be a timestamp copied from the transcript, like 04:05')
            .describe('The [mm:ss] timestamp of the transcript line where the topic begins, copied from the transcript.'),
        }),
      )
      .refine((topics) => topics.length >= 1, 'give at least one topic')
      .refine((topics) => topics.length <= maxTopics, `give at most ${maxTopics} topics`)
      .describe(`The topics of this part of the meeting in the order discussed, 1 to ${maxTopics}.`),
  });
}

export const condenseAnswerSchema = z.object({
  summary: text('summary', 'A summary of these topics in one paragraph, keeping decisions and who made them.'),
});

export const recapAnswerSchema = z.object({
  title: text('title', 'A title for the whole meeting, at most ten words.'),
  shortSummary: text('shortSummary', 'Two or three sentences on the meeting as a whole.'),
  longSummary: text('longSummary', 'A fuller summary in a few paragraphs: subjects, decisions and who made them.'),
  actionItems: z
    .array(z.string())
    .describe('Concrete next steps agreed in the meeting, each naming its owner when known. Empty when there are none.'),
});

export type ChunkTopicsAnswer = z.infer<ReturnType<typeof chunkTopicsAnswerSchema>>;
export type CondenseAnswer = z.infer<typeof condenseAnswerSchema>;
export type RecapAnswer = z.infer<typeof recapAnswerSchema>;

export type JsonSchema = Record<string, unknown>;

/** The JSON Schema for `response_format` with `strict: true`; throws if strict mode would reject it. */
export function strictJsonSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'throw' }) as JsonSchema;
  const problems = strictSchemaProblems(json);
  if (problems.length > 0) throw new Error(`schema is not valid for strict structured output: ${problems.join('; ')}`);
  return json;
}

/**
 * What strict structured output refuses in a schema: the root must be an object, and every object must list
 * all its properties as required and set `additionalProperties: false` (optional fields are written as
 * nullable instead).
 */
export function strictSchemaProblems(schema: unknown): string[] {
  const problems: string[] = [];
  if (!isRecord(schema) || schema.type !== 'object') problems.push('the root must be {"type": "object"}');
  visit(schema, '#', problems);
  return problems;
}

function visit(node: unknown, path: string, problems: string[]): void {
  if (!isRecord(node)) return;
  const types = Array.isArray(node.type) ? node.type : [node.type];
  if (types.includes('object')) {
    const properties = isRecord(node.properties) ? node.properties : {};
    if (node.additionalProperties !== false) problems.push(`${path}: additionalProperties must be false`);
    const required = Array.isArray(node.required) ? node.required : [];
    const missing = Object.keys(properties).filter((key) => !required.includes(key));
    if (missing.length > 0) problems.push(`${path}: every property must be required (missing ${missing.join(', ')})`);
    for (const [key, child] of Object.entries(properties)) visit(child, `${path}/properties/${key}`, problems);
  }
  if (node.items !== undefined) visit(node.items, `${path}/items`, problems);
  for (const keyword of ['anyOf', 'prefixItems'] as const) {
    const list = node[keyword];
    if (Array.isArray(list)) list.forEach((child, i) => visit(child, `${path}/${keyword}/${i}`, problems));
  }
  for (const keyword of ['$defs', 'definitions'] as const) {
    const defs = node[keyword];
    if (isRecord(defs)) for (const [key, child] of Object.entries(defs)) visit(child, `${path}/${keyword}/${key}`, problems);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
