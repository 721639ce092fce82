import type { GraphQLResolveInfo } from 'graphql';
import { parseResolveInfo, type ResolveTree } from 'graphql-parse-resolve-info';

/**
 * The arguments of each selection of `field` on the `type` this resolver returns, variables
 * applied — for a resolver that reads ahead what its result's fields will ask for. The library
 * rather than a walk of our own: aliases, fragments on either type and @skip/@include all count.
 */
export function argumentsOfSelections(info: GraphQLResolveInfo, type: string, field: string): ResolveTree['args'][] {
  // deep: the only mode that reads the selection set at all (it parses the whole subtree; queries are small).
  const tree = parseResolveInfo(info) as ResolveTree | null | undefined;
  return Object.values(tree?.fieldsByTypeName[type] ?? {}).filter((f) => f.name === field).map((f) => f.args);
}
