/** Types of ./client-types.mjs, for the TypeScript test that imports it. */
export const GENERATED_PATH: string;
export const ROOT: string;
export function openApiDocument(server: {
  buildApp: (opts: {
    config: never;
  }) => Promise<{ ready(): PromiseLike<unknown>; swagger(): unknown; close(): PromiseLike<unknown> }>;
  loadConfig: (env: Record<string, string>) => object;
}): Promise<object>;
export function renderClientTypes(document: object): Promise<string>;
