import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  // Printed from the server's Pothos schema and checked in (`pnpm schema:print`).
  schema: '../schema/schema.graphql',
  documents: ['src/graphql/**/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    'src/graphql/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { DateTime: 'string' },
        avoidOptionals: { field: true, inputValue: false, object: false, defaultValue: false },
      },
    },
  },
  silent: true,
};

export default config;
