// Screen 1: the college's project list, with filters and cursor pagination.
import { graphql } from "./gql/index.js";
import type { ProjectFilterInput, ProjectPageQuery } from "./gql/graphql.js";
import { check, type Client } from "./client.js";

const ProjectPage = graphql(`
  query ProjectPage($filter: ProjectFilterInput, $first: Int!, $after: String) {
    projects(filter: $filter, first: $first, after: $after, orderBy: { field: CREATED_AT, direction: ASC }) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id title status clinicalArea startsOn
          lead { name }
          programme { name }
          sites { institution { name } status }
          improvement { measures improving }
        }
      }
    }
  }
`);

export type ProjectRow = ProjectPageQuery["projects"]["edges"][number]["node"];

/// Every project the filter matches, `pageSize` at a time, following the cursors.
export async function listProjects(api: Client, filter: ProjectFilterInput | null, pageSize: number) {
  const rows: ProjectRow[] = [];
  let after: string | null = null;
  let total = -1;
  for (;;) {
    const page: ProjectPageQuery["projects"] = (await api(ProjectPage, { filter, first: pageSize, after })).projects;
    total = page.totalCount;
    check(page.edges.length <= pageSize, `a page of ${page.edges.length} for first: ${pageSize}`);
    rows.push(...page.edges.map((edge) => edge.node));
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor ?? null;
    check(after !== null, "a next page without a cursor");
  }
  check(rows.length === total, `${rows.length} rows paged through, totalCount ${total}`);
  check(new Set(rows.map((r) => r.id)).size === rows.length, "a project listed twice across pages");
  return rows;
}

export function printProjects(title: string, rows: ProjectRow[]) {
  console.log(`\n${title} (${rows.length})`);
  for (const p of rows) {
    const sites = p.sites.map((s) => `${s.institution.name} (${s.status})`).join(", ") || "no sites";
    const improving = p.improvement ? `${p.improvement.improving}/${p.improvement.measures} measures improving` : "";
    console.log(`  ${p.status.padEnd(9)} ${p.title} — ${p.lead.name}; ${sites} ${improving}`);
  }
}
