import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed documents for the tests, from the printed schema, as web/ does: every `graphql(\`…\`)` in
// the suites and the test kit becomes a TypedDocumentNode, checked against schema/schema.graphql.
// The output is generated (by `pnpm test` and `typecheck`), never checked in.
const config: CodegenConfig = {
  schema: '../schema/schema.graphql',
  documents: ['{unit,integration,security,e2e,testkit}/**/*.ts', '!testkit/gql/**'],
  ignoreNoDocuments: false,
  generates: {
    'testkit/gql/': {
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
  errorsOnly: true,
};

export default config;
