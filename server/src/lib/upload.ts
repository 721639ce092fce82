/** A file of a GraphQL multipart request, as yoga hands it to a resolver. */
export interface Upload { name: string; type: string; size: number; arrayBuffer(): Promise<ArrayBuffer> }
