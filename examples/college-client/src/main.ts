// The college's three screens against a running Springboard (the demo: `springboard serve
// --demo`): sign in, list projects with filters and pages, show a bid's readiness and
// assessments, publish a result. Exits non-zero at the first surprise.
//
//   SPRINGBOARD_URL=http://127.0.0.1:8080 SPRINGBOARD_PASSWORD=<demo password> npm start
import { graphql } from "./gql/index.js";
import { check, client, noUserErrors, Surprise } from "./client.js";
import { listProjects, printProjects } from "./projects.js";
import { showReadiness } from "./readiness.js";
import { publishResult } from "./publish.js";

const SignIn = graphql(`
  mutation CollegeSignIn($email: String!, $password: String!) {
    signIn(input: { email: $email, password: $password }) {
      tokens { accessToken }
      userErrors { field code message }
    }
  }
`);

const url = (process.env.SPRINGBOARD_URL ?? "http://127.0.0.1:8080").replace(/\/$/, "");
const email = process.env.SPRINGBOARD_EMAIL ?? "admin@royal-college-acute-care.example.org";
const password = process.env.SPRINGBOARD_PASSWORD;

async function main() {
  if (!password) throw new Surprise("set SPRINGBOARD_PASSWORD to the demo password");
  const signedIn = (await client(url)(SignIn, { email, password })).signIn;
  check(!!signedIn, "signIn answered");
  noUserErrors(signedIn);
  const token = signedIn.tokens?.accessToken;
  check(!!token, "an access token");
  const api = client(url, token);

  const all = await listProjects(api, null, 1);
  printProjects("Projects the college sees", all);
  const active = await listProjects(api, { statuses: ["ACTIVE"] }, 2);
  printProjects("Active", active);
  check(active.every((p) => p.status === "ACTIVE"), "the status filter holds");
  check(active.length <= all.length && active.length > 0, "an active project among all");

  for (const project of all) await showReadiness(api, project.id);

  await publishResult(api, active[0]!.id, "IMPROVEMENT");
  console.log("\nThe college's three screens worked.");
}

main().catch((error) => {
  console.error(error instanceof Surprise ? `surprise: ${error.message}` : error);
  process.exit(1);
});
