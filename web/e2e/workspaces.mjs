// End-to-end check of workspaces, projects and invitations in headless Chromium, after
// run.mjs set the instance up (Ada, the admin). Covers: creating a workspace and a project
// (with the server's field errors), states, labels, features, estimates, archiving, workspace
// settings, invitations without email, then with email (an SMTP sink here reads the mail):
// signing up as the invitee, the invitation landing page, accepting and declining.
// Screenshots go to SCREENSHOT_DIR.
// Usage: node e2e/workspaces.mjs BASE_URL SCREENSHOT_DIR
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { CODE, INVITATION_LINK, PASSWORD, call, check, launch, newPage, startSmtpSink } from "./lib.mjs";

const [base, shots] = process.argv.slice(2);
if (!base || !shots) {
  console.error("usage: node e2e/workspaces.mjs BASE_URL SCREENSHOT_DIR");
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

const browser = await launch();
const sink = await startSmtpSink();
const errors = [];
let step = "start";
/** A full-page screenshot from the top, without the passing notices (toasts). */
async function shot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true, style: ".toasts { display: none !important; }" });
}
const PROJECT_URL = /\/acme\/projects\/[0-9a-f-]{36}\/settings$/;

/** Signs up through the UI with the code the server mails; ends on `next` (or home). */
async function signUp(page, email, first, last) {
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Continue" }).click();
  const [, code] = await sink.waitFor(email, CODE);
  await page.getByLabel("Code").fill(code);
  await page.getByLabel("First name").fill(first);
  await page.getByLabel("Last name").fill(last);
  await page.getByLabel("Password (optional)").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
}

try {
  const ada = await newPage(browser, errors, "ada");

  step = "sign in";
  await ada.goto(base + "/sign-in", { waitUntil: "networkidle" });
  await ada.getByLabel("Email").fill("ada@example.com");
  await ada.getByLabel("Password").fill(PASSWORD);
  await ada.getByRole("button", { name: "Sign in" }).click();
  await ada.getByTestId("greeting").waitFor();

  step = "home without workspaces";
  await ada.getByTestId("first-workspace").waitFor();
  await shot(ada, "home-empty");

  step = "create a workspace";
  const wsForm = ada.getByTestId("create-workspace-form");
  await wsForm.getByLabel("Workspace name").fill("Acme Corp");
  const derived = await wsForm.getByLabel("Workspace URL").inputValue();
  check(derived === "acme-corp", `slug derived from the name: ${derived}`);
  await wsForm.getByLabel("Workspace URL").fill("god-mode");
  await wsForm.getByRole("button", { name: "Create workspace" }).click();
  await wsForm.getByText("Slug is not valid").waitFor();
  await shot(ada, "create-workspace-error");
  await wsForm.getByLabel("Workspace URL").fill("acme");
  await wsForm.getByRole("button", { name: "Create workspace" }).click();
  await ada.waitForURL(base + "/acme/");
  await ada.getByTestId("projects-empty").waitFor();
  check((await ada.getByTestId("workspace-switcher").textContent())?.includes("Acme Corp"), "the switcher shows the workspace");
  await shot(ada, "workspace-empty");

  step = "create a project";
  await ada.getByTestId("new-project").click();
  let dialog = ada.getByTestId("create-project-dialog");
  await dialog.getByLabel("Project name").fill("Mobile App");
  const identifier = await dialog.getByLabel("Identifier").inputValue();
  check(identifier === "MOBIL", `identifier derived from the name: ${identifier}`);
  await dialog.getByLabel("Description (optional)").fill("The iOS and Android apps.");
  await shot(ada, "create-project");
  await dialog.getByRole("button", { name: "Create project" }).click();
  await ada.waitForURL(PROJECT_URL);
  const mobile = ada.url();
  await ada.getByTestId("project-name").filter({ hasText: "Mobile App" }).waitFor();
  await shot(ada, "project-general");

  step = "a taken identifier";
  await ada.getByTestId("nav-projects").click();
  await ada.getByTestId("project-MOBIL").waitFor();
  await ada.getByTestId("new-project").click();
  dialog = ada.getByTestId("create-project-dialog");
  await dialog.getByLabel("Project name").fill("Mobile Web");
  await dialog.getByRole("button", { name: "Create project" }).click();
  await dialog.getByText("The project identifier is already taken").waitFor();
  await dialog.getByLabel("Project name").fill("Web-site");
  await dialog.getByLabel("Identifier").fill("web");
  await dialog.getByRole("button", { name: "Create project" }).click();
  await dialog.getByText(/cannot contain special characters/).waitFor();
  await shot(ada, "create-project-error");
  await dialog.getByLabel("Project name").fill("Website");
  check((await dialog.getByLabel("Identifier").inputValue()) === "WEB", "the identifier is upper case");
  await dialog.getByText("Secret", { exact: true }).click();
  await dialog.getByRole("button", { name: "Create project" }).click();
  await ada.waitForURL(PROJECT_URL);
  const website = ada.url();
  check(website !== mobile, "a second project");

  step = "states";
  await ada.goto(mobile + "/states", { waitUntil: "networkidle" });
  for (const name of ["Backlog", "Todo", "In Progress", "Done", "Cancelled"]) await ada.getByTestId(`state-${name}`).waitFor();
  await ada.getByTestId("state-Backlog").getByTestId("default-badge").waitFor();
  await ada.getByRole("button", { name: "Add a state to Started" }).click();
  let form = ada.getByTestId("state-form");
  await form.getByLabel("State name").fill("In Review");
  await form.getByRole("button", { name: "Add state" }).click();
  await ada.getByTestId("state-group-started").getByTestId("state-In Review").waitFor();
  await ada.getByRole("button", { name: "Add a state to Started" }).click();
  form = ada.getByTestId("state-form");
  await form.getByLabel("State name").fill("In Review");
  await form.getByRole("button", { name: "Add state" }).click();
  await form.getByText("State with the same name already exists in the project").waitFor();
  await form.getByRole("button", { name: "Cancel" }).click();
  await ada.getByTestId("state-Backlog").hover();
  await ada.getByRole("button", { name: "Delete Backlog" }).click();
  await ada.getByTestId("confirm-dialog").getByRole("button", { name: "Delete state" }).click();
  await ada.getByTestId("confirm-dialog").getByText("Default state cannot be deleted").waitFor();
  await ada.getByTestId("confirm-dialog").getByRole("button", { name: "Cancel" }).click();
  await ada.getByTestId("state-In Review").hover();
  await ada.getByTestId("state-In Review").getByRole("button", { name: "Make default" }).click();
  await ada.getByTestId("state-In Review").getByTestId("default-badge").waitFor();
  check((await ada.getByTestId("default-badge").count()) === 1, "only one default state");
  await ada.mouse.move(0, 0);
  await shot(ada, "project-states");

  step = "labels";
  await ada.getByRole("link", { name: "Labels" }).click();
  await ada.getByTestId("labels-empty").waitFor();
  await ada.getByTestId("new-label").click();
  form = ada.getByTestId("label-form");
  await form.getByLabel("Label name").fill("Frontend");
  await form.getByRole("button", { name: "Create label" }).click();
  await ada.getByTestId("label-Frontend").waitFor();
  await ada.getByTestId("new-label").click();
  form = ada.getByTestId("label-form");
  await form.getByLabel("Label name").fill("UI");
  await form.getByLabel("Parent label").selectOption({ label: "Under Frontend" });
  await form.getByRole("button", { name: "Label colour" }).click();
  await ada.getByRole("button", { name: "#ec4899", exact: true }).click();
  await form.getByRole("button", { name: "Create label" }).click();
  await ada.getByTestId("label-UI").waitFor();
  await ada.getByTestId("new-label").click();
  form = ada.getByTestId("label-form");
  await form.getByLabel("Label name").fill("UI");
  await form.getByRole("button", { name: "Create label" }).click();
  await form.getByText("Label with the same name already exists in the project").waitFor();
  await form.getByLabel("Label name").fill("Bug");
  await form.getByRole("button", { name: "Create label" }).click();
  await ada.getByTestId("label-Bug").waitFor();
  await ada.getByTestId("label-UI").hover();
  await ada.getByRole("button", { name: "Edit UI" }).click();
  form = ada.getByTestId("label-form");
  await form.getByLabel("Label name").fill("UI polish");
  await form.getByRole("button", { name: "Save" }).click();
  await ada.getByTestId("label-UI polish").waitFor();
  const labels = await call(ada, "GET", mobile.replace("/acme/", "/api/v1/workspaces/acme/").replace(/\/settings$/, "/labels/"));
  const ui = labels.body.results.find((l) => l.name === "UI polish");
  const frontend = labels.body.results.find((l) => l.name === "Frontend");
  check(ui?.parent === frontend?.id && ui?.color === "#ec4899", `the nested label was saved: ${JSON.stringify(ui)}`);
  await ada.mouse.move(0, 0);
  await shot(ada, "project-labels");

  step = "features";
  const api = mobile.replace("/acme/", "/api/v1/workspaces/acme/").replace(/\/settings$/, "");
  await ada.getByRole("link", { name: "Features" }).click();
  await ada.getByTestId("features").waitFor();
  const before = (await call(ada, "GET", `${api}/features/`)).body;
  await ada.getByTestId("feature-time_tracking").getByText("Time tracking").click();
  await ada.getByText(`Time tracking ${before.time_tracking ? "disabled" : "enabled"}.`).waitFor();
  const after = (await call(ada, "GET", `${api}/features/`)).body;
  check(after.time_tracking === !before.time_tracking, `time tracking toggled: ${JSON.stringify(after)}`);
  await shot(ada, "project-features");

  step = "estimates";
  await ada.getByRole("link", { name: "Estimates" }).click();
  await ada.getByTestId("create-estimate").waitFor();
  await shot(ada, "project-estimates-empty");
  await ada.getByRole("button", { name: "Create estimate scale" }).click();
  for (const value of ["1", "2", "3", "5", "8", "13"]) await ada.getByTestId(`point-${value}`).waitFor();
  await ada.getByLabel("Value", { exact: true }).fill("21");
  await ada.getByRole("button", { name: "Add value" }).click();
  await ada.getByTestId("point-21").waitFor();
  await ada.getByLabel("Name", { exact: true }).fill("Fibonacci");
  await ada.getByRole("button", { name: "Rename" }).click();
  await ada.getByText("Estimate renamed.").waitFor();
  await shot(ada, "project-estimates");

  step = "members of a project";
  await ada.getByRole("link", { name: "Members", exact: true }).click();
  await ada.getByTestId("project-member-ada@example.com").waitFor();

  step = "archive and restore";
  await ada.getByRole("link", { name: "General" }).click();
  await ada.getByTestId("archive-project").click();
  await ada.getByTestId("confirm-dialog").getByRole("button", { name: "Archive project" }).click();
  await ada.getByTestId("archived-banner").waitFor();
  check(await ada.getByLabel("Name", { exact: true }).isDisabled(), "an archived project is read-only");
  const refused = await call(ada, "PATCH", `${api}/`, { name: "Renamed" });
  check(refused.status === 400 && refused.body.error === "Archived project cannot be updated", `archived: ${JSON.stringify(refused)}`);
  const frozen = await call(ada, "PATCH", `${api}/estimates/`, { name: "Renamed" });
  check(frozen.status === 400 && frozen.body.error === "Archived project cannot be updated", `archived estimate: ${JSON.stringify(frozen)}`);
  await shot(ada, "project-archived");
  await ada.getByTestId("nav-projects").click();
  await ada.getByRole("tab", { name: /Archived/ }).click();
  await ada.getByTestId("project-MOBIL").getByTestId("archived-badge").waitFor();
  await shot(ada, "projects-archived");
  await ada.getByTestId("project-MOBIL").getByRole("link", { name: "Mobile App" }).click();
  await ada.getByTestId("archived-banner").getByRole("button", { name: "Restore project" }).click();
  await ada.getByTestId("archived-banner").waitFor({ state: "detached" });
  check(!(await ada.getByLabel("Name", { exact: true }).isDisabled()), "a restored project can change");

  step = "invitations without email";
  await ada.getByTestId("nav-settings").click();
  await ada.getByTestId("nav-invitations").click();
  const invite = ada.getByTestId("invite-form");
  await invite.getByText("Email is not set up on this instance").waitFor();
  await invite.getByLabel("Email").fill("not-an-email");
  await invite.getByRole("button", { name: "Send invitation" }).click();
  await invite.getByText("Invalid email address").waitFor();
  await invite.getByLabel("Email").fill("grace@example.com");
  await invite.getByLabel("Role").selectOption({ label: "Member" });
  await invite.getByRole("button", { name: "Send invitation" }).click();
  await ada.getByTestId("invitation-grace@example.com").getByText("Pending").waitFor();
  await invite.getByLabel("Email").fill("bob@example.com");
  await invite.getByLabel("Role").selectOption({ label: "Guest" });
  await invite.getByRole("button", { name: "Send invitation" }).click();
  const bob = ada.getByTestId("invitation-bob@example.com");
  await bob.waitFor();
  await bob.getByLabel("Role for bob@example.com").selectOption({ label: "Admin" });
  await ada.getByText("bob@example.com is invited as admin.").waitFor();
  await invite.getByLabel("Email").fill("grace@example.com");
  await invite.getByRole("button", { name: "Send invitation" }).click();
  await invite.getByText("Email already invited").waitFor();
  await invite.getByLabel("Email").fill("");
  await shot(ada, "workspace-invitations");
  await bob.getByRole("button", { name: "Withdraw" }).click();
  await ada.getByTestId("confirm-dialog").getByRole("button", { name: "Withdraw" }).click();
  await bob.waitFor({ state: "detached" });

  step = "workspace members and settings";
  await ada.getByTestId("nav-members").click();
  await ada.getByTestId("member-ada@example.com").getByText("Owner").waitFor();
  await shot(ada, "workspace-members");
  await ada.getByTestId("nav-settings").click();
  await ada.getByLabel("Workspace name").fill("Acme Inc");
  await ada.getByRole("button", { name: "Save changes" }).click();
  await ada.getByTestId("workspace-name").filter({ hasText: "Acme Inc" }).waitFor();
  await ada.getByTestId("workspace-switcher").filter({ hasText: "Acme Inc" }).waitFor();
  await shot(ada, "workspace-general");

  step = "a second workspace from the switcher";
  await ada.getByTestId("workspace-switcher").getByRole("button").click();
  await shot(ada, "workspace-switcher");
  await ada.getByRole("menuitem", { name: "Create workspace" }).click();
  await ada.getByLabel("Workspace name").fill("Globex");
  await ada.getByRole("button", { name: "Create workspace" }).click();
  await ada.waitForURL(base + "/globex/");
  const globexInvite = await call(ada, "POST", "/api/v1/workspaces/globex/invitations/", { email: "grace@example.com", role: 15 });
  check(globexInvite.status === 201, `invited to Globex: ${JSON.stringify(globexInvite)}`);

  step = "email on";
  const configured = await call(ada, "PATCH", "/api/instances/configurations/", {
    EMAIL_HOST: "127.0.0.1", EMAIL_PORT: String(sink.port), EMAIL_SECURITY: "none", EMAIL_FROM: "Plane <plane@example.com>",
  });
  check(configured.status === 200, `email configured: ${JSON.stringify(configured.body)}`);

  step = "the invitee signs up and sees the invitations";
  const grace = await newPage(browser, errors, "grace");
  await grace.goto(base + "/sign-up", { waitUntil: "networkidle" });
  await signUp(grace, "grace@example.com", "Grace", "Hopper");
  await grace.getByTestId("greeting").filter({ hasText: "Welcome, Grace" }).waitFor();
  const pending = grace.getByTestId("pending-invitation");
  await pending.filter({ hasText: "Globex" }).waitFor();
  check((await pending.count()) === 2, `two pending invitations: ${await pending.count()}`);
  await shot(grace, "home-invitations");
  await pending.filter({ hasText: "Globex" }).getByRole("button", { name: "Decline" }).click();
  await grace.getByText("Invitation to Globex declined.").waitFor();
  await pending.filter({ hasText: "Globex" }).waitFor({ state: "detached" });

  step = "the invitation landing page, signed in";
  const mine = await call(grace, "GET", "/api/users/me/workspace-invitations/");
  check(mine.status === 200 && mine.body.length === 1 && mine.body[0].workspace.slug === "acme", `pending: ${JSON.stringify(mine.body)}`);
  await grace.goto(`${base}/invitations/${mine.body[0].id}`, { waitUntil: "networkidle" });
  await grace.getByTestId("invitation-preview").getByText("Acme Inc").first().waitFor();
  await shot(grace, "invitation-landing");
  await grace.getByRole("button", { name: "Accept and join" }).click();
  await grace.waitForURL(base + "/acme/");
  await grace.getByTestId("project-MOBIL").getByRole("button", { name: "Join" }).click();
  await grace.getByTestId("project-MOBIL").getByRole("link", { name: "Settings" }).waitFor();
  check((await grace.getByTestId("project-WEB").count()) === 0, "a secret project stays hidden");
  await shot(grace, "workspace-projects-member");
  await grace.getByTestId("project-MOBIL").getByRole("link", { name: "Settings" }).click();
  await grace.getByText("Only project admins can change these.").waitFor();
  check(await grace.getByLabel("Name", { exact: true }).isDisabled(), "members cannot edit the project");
  await grace.getByTestId("nav-settings").click();
  await grace.getByText("Only workspace admins can change these.").waitFor();
  check((await grace.getByTestId("nav-invitations").count()) === 0, "members do not manage invitations");

  step = "adding a member to a secret project";
  await ada.goto(website + "/members", { waitUntil: "networkidle" });
  const add = ada.getByTestId("add-project-member");
  await add.getByLabel("Workspace member").selectOption({ label: "Grace Hopper (grace@example.com)" });
  check(await add.locator('option[value="20"]').isDisabled(), "a member cannot be made project admin");
  await add.getByRole("button", { name: "Add member" }).click();
  await ada.getByTestId("project-member-grace@example.com").waitFor();
  await ada.getByLabel("Project role of Grace Hopper").selectOption({ label: "Guest" });
  await ada.getByText("Grace Hopper is now guest of Website.").waitFor();
  await shot(ada, "project-members");

  step = "a mailed invitation for a new account";
  await ada.goto(base + "/acme/settings/invitations", { waitUntil: "networkidle" });
  await invite.getByLabel("Email").fill("dan@example.com");
  await invite.getByRole("button", { name: "Send invitation" }).click();
  await ada.getByTestId("invitation-dan@example.com").waitFor();
  const [, danLink] = await sink.waitFor("dan@example.com", INVITATION_LINK);
  const dan = await newPage(browser, errors, "dan");
  await dan.goto(base + danLink, { waitUntil: "networkidle" });
  await dan.getByTestId("invitation-preview").waitFor();
  await shot(dan, "invitation-landing-signed-out");
  await dan.getByRole("button", { name: "Create an account" }).click();
  check((await dan.getByLabel("Email").inputValue()) === "dan@example.com", "the invited address is filled in");
  await signUp(dan, "dan@example.com", "Dan", "Brown");
  await dan.getByRole("button", { name: "Accept and join" }).click();
  await dan.waitForURL(base + "/acme/");
  await dan.getByTestId("workspace-name").filter({ hasText: "Acme Inc" }).waitFor();

  step = "declining by link, and wrong links";
  await invite.getByLabel("Email").fill("erin@example.com");
  await invite.getByRole("button", { name: "Send invitation" }).click();
  const [, erinLink] = await sink.waitFor("erin@example.com", INVITATION_LINK);
  const erin = await newPage(browser, errors, "erin");
  await erin.goto(base + erinLink, { waitUntil: "networkidle" });
  await erin.getByRole("button", { name: "Decline invitation" }).click();
  await erin.getByTestId("invitation-declined").waitFor();
  await erin.reload({ waitUntil: "networkidle" });
  await erin.getByText("This invitation was declined already.").waitFor();
  await ada.reload({ waitUntil: "networkidle" });
  await ada.getByTestId("invitation-erin@example.com").getByText("Declined").waitFor();
  await erin.goto(base + erinLink.replace(/token=[0-9a-f]+/, "token=" + "0".repeat(64)), { waitUntil: "networkidle" });
  await erin.getByTestId("invitation-error").getByText(/incomplete or belongs to another invitation/).waitFor();
  await shot(erin, "invitation-invalid");
  await erin.goto(base + "/invitations/00000000-0000-4000-8000-000000000000?token=abc", { waitUntil: "networkidle" });
  await erin.getByText("Invitation not found").waitFor();

  step = "the owner deletes a workspace";
  await ada.goto(base + "/globex/settings", { waitUntil: "networkidle" });
  await ada.getByTestId("delete-workspace").click();
  const confirm = ada.getByTestId("confirm-dialog");
  check(await confirm.getByRole("button", { name: "Delete workspace" }).isDisabled(), "deleting waits for the typed confirmation");
  await confirm.getByLabel(/Type/).fill("globex");
  await shot(ada, "workspace-delete");
  await confirm.getByRole("button", { name: "Delete workspace" }).click();
  await ada.waitForURL(base + "/");
  await ada.getByTestId("workspaces").waitFor();
  check(!(await ada.getByTestId("workspaces").textContent())?.includes("Globex"), "Globex is gone");
  await shot(ada, "home-workspaces");

  check(errors.length === 0, `browser errors: ${errors.join(" | ")}`);
  console.log("workspaces e2e: ok");
} catch (error) {
  console.error(`workspaces e2e failed at "${step}": ${error.message}`);
  for (const context of browser.contexts()) {
    for (const [i, page] of context.pages().entries()) {
      await page.screenshot({ path: join(shots, `failure-${browser.contexts().indexOf(context)}-${i}.png`), fullPage: true }).catch(() => {});
    }
  }
  if (errors.length) console.error(`browser errors: ${errors.join(" | ")}`);
  process.exitCode = 1;
} finally {
  sink.close();
  await browser.close();
}
