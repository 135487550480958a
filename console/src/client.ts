import type { TypedDocumentString } from './generated/graphql.js';

/** A refusal or error as the API worded it: the first GraphQL error's message and code. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly status: number,
  ) {
    super(message);
  }
}

interface Answer<R> {
  data?: R | null;
  errors?: { message: string; extensions?: { code?: string } }[];
  message?: string;
  code?: string;
}

/**
 * The typed GraphQL client of the page: one POST per operation to /graphql,
 * the bearer token when one is set. Documents and their types come from the
 * codegen of schema/ (console/src/generated/graphql.ts).
 */
export class GraphQLClient {
  token: string | null = null;

  constructor(readonly url = '/graphql') {}

  async request<R, V>(doc: TypedDocumentString<R, V>, variables: V, signal?: AbortSignal): Promise<R> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.token !== null && this.token !== '') headers.authorization = `Bearer ${this.token}`;
    const res = await fetch(this.url, { method: 'POST', headers, body: JSON.stringify({ query: doc.toString(), variables }), signal: signal ?? null });
    let body: Answer<R>;
    try {
      body = (await res.json()) as Answer<R>;
    } catch {
      throw new ApiError(`HTTP ${res.status} ${res.statusText}`.trim(), undefined, res.status);
    }
    const first = body.errors?.[0];
    if (first !== undefined) throw new ApiError(body.errors!.map((e) => e.message).join('; '), first.extensions?.code, res.status);
    if (!res.ok || body.data == null) throw new ApiError(body.message ?? `HTTP ${res.status}`, body.code, res.status);
    return body.data;
  }
}
