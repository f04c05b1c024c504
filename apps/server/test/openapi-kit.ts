/*
 * The parts of an OpenAPI 3.1 document (as @fastify/swagger writes Tokenward's) that the
 * document's own tests read: openapi-lint.test.ts and openapi-responses.test.ts.
 */

export type JsonSchema = Record<string, unknown>;

export interface MediaObject {
  schema?: JsonSchema;
}

export interface OpenApiOperation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean; schema?: JsonSchema }[];
  requestBody?: { required?: boolean; content?: Record<string, MediaObject> };
  responses?: Record<string, { description?: string; content?: Record<string, MediaObject> }>;
}

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, JsonSchema>; securitySchemes?: Record<string, JsonSchema> };
}

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Every operation of the document with its path and method (lower case). */
export function operationsOf(
  document: OpenApiDocument,
): { path: string; method: string; operation: OpenApiOperation }[] {
  const out: { path: string; method: string; operation: OpenApiOperation }[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (HTTP_METHODS.includes(method)) out.push({ path, method, operation });
    }
  }
  return out;
}
