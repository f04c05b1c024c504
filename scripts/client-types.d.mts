/** Types of ./client-types.mjs, for the TypeScript test that imports it. */
export const GENERATED_PATH: string;
export const ROOT: string;
export function openApiDocument(server: {
  /** The server's buildApp: the app it gives has @fastify/swagger's `swagger()`. */
  buildApp: (opts: { config: never }) => Promise<unknown>;
  loadConfig: (env: Record<string, string>) => object;
}): Promise<object>;
export function renderClientTypes(document: object): Promise<string>;
