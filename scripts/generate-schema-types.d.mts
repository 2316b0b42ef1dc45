/** Generates the TypeScript source of src/schemas/types.ts from the JSON Schemas. */
export function generateSchemaTypes(): Promise<string>;
export const schemaFiles: string[];
