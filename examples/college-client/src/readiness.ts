// Screen 2: a bid's readiness for funding, and the capacity assessments behind it.
import { graphql } from "./gql/index.js";
import { check, type Client } from "./client.js";

const Readiness = graphql(`
  query Readiness($id: ID!) {
    project(id: $id) {
      title status
      fundingReadiness {
        ready
        failures { code message }
        shortfalls {
          code message dimension score minimum assessedOn validUntil roles hoursPerWeek limitHoursPerWeek
          institutionId
        }
      }
      assessments {
        assessedOn status
        assessedInstitution { name }
        assessorInstitution { name }
        dimensions { dimension score }
      }
    }
  }
`);

export async function showReadiness(api: Client, projectId: string) {
  const project = (await api(Readiness, { id: projectId })).project;
  check(project !== null && project !== undefined, `project ${projectId} is not visible`);
  const readiness = project.fundingReadiness;
  console.log(`\nReadiness of "${project.title}" (${project.status})`);
  if (!readiness) {
    console.log("  not asked: readiness is shown while a bid can still be funded");
  } else {
    check(readiness.shortfalls.length === readiness.failures.length, "a shortfall for every failure");
    console.log(`  ready: ${readiness.ready}`);
    for (const s of readiness.shortfalls) {
      // The typed figures, where the college may read them; the message otherwise.
      const figures = s.score != null && s.minimum != null ? ` (${s.dimension}: ${s.score} of ${s.minimum})` : "";
      console.log(`  - ${s.code}${figures}: ${s.message}`);
    }
  }
  for (const a of project.assessments) {
    const scores = a.dimensions.map((d) => `${d.dimension} ${d.score ?? "-"}`).join(", ");
    console.log(`  assessment of ${a.assessedInstitution.name} by ${a.assessorInstitution.name} on ${a.assessedOn} (${a.status}): ${scores}`);
  }
  return project;
}
