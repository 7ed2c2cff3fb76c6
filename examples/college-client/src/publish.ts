// Screen 3: publish a result of an active project, heeding the warnings the API raises when the
// measures do not bear the claim out, then find it among what is new.
import { graphql } from "./gql/index.js";
import type { ResultOutcome } from "./gql/graphql.js";
import { check, noUserErrors, Surprise, type Client } from "./client.js";

const Measures = graphql(`
  query ProjectMeasures($id: ID!) {
    project(id: $id) { title measures { id name analysis { verdict { verdict } } } }
  }
`);

const Draft = graphql(`
  mutation DraftResult($input: CreateSharedResultInput!) {
    createSharedResult(input: $input) { sharedResult { id version status } userErrors { field code message } }
  }
`);

const Publish = graphql(`
  mutation PublishResult($id: ID!, $acknowledge: Boolean!) {
    publishSharedResult(input: { id: $id }, acknowledgeWarnings: $acknowledge) {
      sharedResult { id status publishedAt }
      userErrors { field code message }
      warnings { code message measureName verdict }
    }
  }
`);

const NewResults = graphql(`
  query NewResults($since: DateTime!) {
    sharedResults(filter: { publishedAfter: $since }, first: 20) {
      edges {
        node {
          id title outcome publishedAt versions { version status }
          measures { frozenAnalysis { verdict pooled { analysis { spc { points { value } } } } sites { institution { name } } } }
        }
      }
    }
  }
`);

export async function publishResult(api: Client, projectId: string, outcome: ResultOutcome) {
  const project = (await api(Measures, { id: projectId })).project;
  check(!!project && project.measures.length > 0, "an active project with measures");
  const measure = project.measures[0]!;
  console.log(`\nPublishing an ${outcome} result of "${project.title}" on "${measure.name}" (live verdict ${measure.analysis.verdict.verdict})`);
  const since = new Date(Date.now() - 1000).toISOString();

  const drafted = (await api(Draft, {
    input: {
      projectId, outcome, visibility: "PROGRAMME", measureIds: [measure.id],
      title: `${measure.name}: what the college found`,
      summary: "Published by the college's client example.",
    },
  })).createSharedResult;
  noUserErrors(drafted);
  const id = drafted.sharedResult!.id;

  let published = (await api(Publish, { id, acknowledge: false })).publishSharedResult;
  if (published.userErrors.some((e) => e.code === "UNACKNOWLEDGED_WARNINGS")) {
    // A front end shows these to the lead and asks; the example acknowledges them after saying so.
    for (const w of published.warnings) console.log(`  warning ${w.code}: ${w.message}`);
    published = (await api(Publish, { id, acknowledge: true })).publishSharedResult;
  }
  noUserErrors(published);
  check(published.sharedResult?.status === "PUBLISHED", "the version is published");
  const claimMatches = (outcome === "IMPROVEMENT") === (measure.analysis.verdict.verdict === "IMPROVING");
  check(claimMatches || published.warnings.length > 0, "a claim the verdict does not bear out is warned about");
  console.log(`  published ${id} at ${published.sharedResult.publishedAt}`);

  const fresh = (await api(NewResults, { since })).sharedResults.edges.map((e) => e.node);
  const mine = fresh.find((r) => r.id === id);
  if (!mine) throw new Surprise(`the result is not among those published since ${since}`);
  const frozen = mine.measures[0]?.frozenAnalysis;
  check(!!frozen?.pooled, "the frozen analysis holds the pooled series");
  console.log(`  listed as new: "${mine.title}", frozen verdict ${frozen.verdict}, ${frozen.pooled.analysis.spc.points.length} points, sites: ${frozen.sites.map((s) => s.institution?.name).join(", ")}`);
  return mine;
}
