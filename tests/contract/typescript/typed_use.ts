// An integrator's typed use of the types openapi-typescript generates from /openapi.json.
// tests/contract/test_typescript_types.py generates ./reintegrasi.ts (the README's command) and
// ./problems.ts (problem bodies the running app answered) beside it, and runs `tsc --strict`:
// this file must compile without an error.
import createClient from "openapi-fetch";
import type { components, paths } from "./reintegrasi";
import { preconditionFailed, preconditionRequired, validationError } from "./problems";

type Schemas = components["schemas"];
type Problem = Schemas["Problem"];

const api = createClient<paths>({
  baseUrl: "http://127.0.0.1:8000",
  headers: { Authorization: "Bearer <access token>" },
});

/** One page of a site's persons: the list call, its paging and its typed problem. */
export async function personPage(siteId: string, cursor?: string): Promise<Schemas["PersonPage"]> {
  const { data, error } = await api.GET("/api/v1/persons", {
    params: {
      query: { site_id: siteId, status: "registered", limit: 50, cursor },
      header: { "X-Purpose": "legal_obligation" },
    },
  });
  if (error) {
    throw new Error(`${error.status} ${error.type}: ${error.detail}`);
  }
  return data;
}

/** Every registered person of a site, page after page (`next_cursor` null: the last page). */
export async function registeredNames(siteId: string): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await personPage(siteId, cursor);
    for (const person of page.items) {
      const status: Schemas["PersonStatus"] = person.status;
      names.push(`${person.full_name ?? person.alias ?? person.id} (${status}, v${person.version})`);
    }
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
  return names;
}

/** A change with If-Match from the ETag; a 412 or 428 problem is typed. */
export async function renameAgency(agencyId: string, name: string): Promise<Schemas["AgencyRead"] | Problem> {
  const current = await api.GET("/api/v1/agencies/{agency_id}", { params: { path: { agency_id: agencyId } } });
  if (current.error) {
    return current.error;
  }
  const etag = current.response.headers.get("ETag") ?? "";
  const { data, error } = await api.PATCH("/api/v1/agencies/{agency_id}", {
    params: { path: { agency_id: agencyId }, header: { "If-Match": etag } },
    body: { name },
  });
  return error ?? data;
}

/** A creation body needs its required fields only: fields with a default may be left out. */
export const person: Schemas["PersonCreate"] = {
  site_id: "00000000-0000-4000-8000-000000000001",
  full_name: "Warga Contoh Satu",
  legal_basis: "public_task",
};

/** What a client reads from the problems the app really answered. */
export function explain(problem: Problem): string {
  const where = (problem.errors ?? []).map((error: Schemas["ProblemLocation"]) => `${error.loc.join(".")}: ${error.msg}`);
  const allowed = problem.allowed?.join(", ") ?? "";
  return [problem.title, problem.detail, ...where, allowed].join("\n");
}

export const answered: Problem[] = [preconditionRequired, preconditionFailed, validationError];
export const statuses: number[] = answered.map((problem) => problem.status);
