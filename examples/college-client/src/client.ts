// A small typed GraphQL client over fetch: each operation's result and variables types come from
// the documents in this directory, generated against ../../schema.graphql (npm run codegen).
import type { TypedDocumentString } from "./gql/graphql.js";

export class Surprise extends Error {}

export interface Client {
  <Result, Variables>(document: TypedDocumentString<Result, Variables>, variables: Variables): Promise<Result>;
}

interface Response<Result> {
  data?: Result | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export function client(url: string, token?: string): Client {
  return async (document, variables) => {
    const response = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/graphql-response+json",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query: document.toString(), variables }),
    });
    const body = (await response.json()) as Response<never>;
    if (body.errors?.length || !body.data) {
      const said = (body.errors ?? []).map((e) => `${e.extensions?.code ?? "?"}: ${e.message}`).join("; ");
      throw new Surprise(`HTTP ${response.status}: ${said || "no data"}`);
    }
    return body.data;
  };
}

/// The payload's user errors, as one exception, when there are any.
export function noUserErrors(payload: { userErrors: { field?: string[] | null; code: string; message: string }[] }) {
  if (payload.userErrors.length > 0) {
    const said = payload.userErrors.map((e) => `${(e.field ?? []).join(".")} ${e.code}: ${e.message}`);
    throw new Surprise(said.join("; "));
  }
}

export function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new Surprise(what);
}
