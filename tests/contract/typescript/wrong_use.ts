// Uses of the generated types that are wrong: each line marked `// wrong:` must be a tsc error
// (tests/contract/test_typescript_types.py), which shows that tsc really checks the calls.
import createClient from "openapi-fetch";
import type { components, paths } from "./reintegrasi";
import { preconditionRequired } from "./problems";

type Schemas = components["schemas"];

const api = createClient<paths>({ baseUrl: "http://127.0.0.1:8000" });

export async function wrongCalls(siteId: string, agencyId: string): Promise<unknown[]> {
  const page = await api.GET("/api/v1/persons", {
    params: {
      query: { site: siteId }, // wrong: no query parameter `site` (it is `site_id`)
      header: { "X-Purpose": "curiosity" }, // wrong: not a purpose code
    },
  });
  const first = page.data?.items[0];
  const nik: unknown = first?.nik_plain; // wrong: persons have no field `nik_plain`
  const unversioned = await api.PATCH("/api/v1/agencies/{agency_id}", { params: { path: { agency_id: agencyId } }, body: { name: "x" } }); // wrong: If-Match is required
  const status: Schemas["PersonStatus"] = "gone"; // wrong: not a person status
  return [nik, unversioned, status];
}

export const noName: Schemas["PersonCreate"] = { site_id: "00000000-0000-4000-8000-000000000001", legal_basis: "consent" }; // wrong: full_name is required
export const retyped: Schemas["Problem"] = { ...preconditionRequired, status: "428" }; // wrong: status is a number
