// End-to-end check of the web UI in headless Chromium (Debian's `chromium` + playwright-core),
// against a fresh server: first-run set-up, the shell, profile, sessions, API tokens,
// instance settings, sign-out and sign-in. Screenshots go to SCREENSHOT_DIR.
// Usage: node e2e/run.mjs BASE_URL SCREENSHOT_DIR EXPECTED_VERSION
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const [base, shots, version] = process.argv.slice(2);
if (!base || !shots || !version) {
  console.error("usage: node e2e/run.mjs BASE_URL SCREENSHOT_DIR EXPECTED_VERSION");
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});

function check(condition, message) {
  if (!condition) throw new Error(message);
}

const PASSWORD = "orbit-velvet-cactus-91";
let step = "start";

try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => {
    // The browser logs every 4xx answer; the screens handle them (who am I before sign-in,
    // a refused password). Anything else logged as an error is a bug.
    const handled = /Failed to load resource: the server responded with a status of 4\d\d/.test(m.text());
    if (m.type() === "error" && !handled) errors.push(m.text());
  });
  const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

  step = "first-run set-up";
  await page.goto(base + "/", { waitUntil: "networkidle" });
  check((await page.title()) === "Plane", `title is ${await page.title()}`);
  await page.getByTestId("setup-form").waitFor();
  await shot("setup");
  await page.getByLabel("First name").fill("Ada");
  await page.getByLabel("Last name").fill("Lovelace");
  await page.getByLabel("Email").fill("ada@example.com");
  await page.getByLabel("Password").fill("password");
  await page.getByRole("button", { name: "Create admin account" }).click();
  await page.getByText(/too easy to guess|at least/).waitFor();
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create admin account" }).click();

  step = "the shell";
  await page.getByTestId("greeting").filter({ hasText: "Welcome, Ada" }).waitFor();
  await page.getByTestId("readiness").filter({ hasText: "Ready" }).waitFor({ timeout: 10000 });
  const shown = await page.getByTestId("version").textContent();
  check(shown === `v${version}`, `version shown is ${shown}, expected v${version}`);
  for (const part of ["database", "kv", "storage", "queue"]) {
    const row = await page.getByTestId(`check-${part}`).textContent();
    check(row?.includes("Reachable"), `check ${part}: ${row}`);
  }
  await shot("home");

  step = "client-side routes";
  await page.goto(base + "/no/such/screen", { waitUntil: "networkidle" });
  await page.getByTestId("not-found").waitFor();
  await shot("not-found");
  await page.getByRole("button", { name: "Go to the home page" }).click();
  await page.getByTestId("greeting").waitFor();

  step = "profile";
  await page.getByTestId("user-menu").click();
  await page.getByRole("menuitem", { name: "Your account" }).click();
  await page.getByTestId("profile-form").waitFor();
  await page.getByLabel("Display name").fill("countess");
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.getByText("Saved.").waitFor();
  check((await page.getByTestId("user-menu").textContent())?.includes("countess"), "the menu shows the new name");
  await shot("profile");

  step = "sessions";
  await page.getByRole("link", { name: "Security" }).click();
  await page.getByTestId("sessions").getByText("This device").waitFor();
  await shot("security");

  step = "API tokens";
  await page.getByRole("link", { name: "API tokens" }).first().click();
  await page.getByTestId("token-form").waitFor();
  await page.getByLabel("Name").fill("e2e");
  await page.getByRole("button", { name: "Create token" }).click();
  const token = (await page.getByTestId("copy-token").textContent())?.trim() ?? "";
  check(/^plane_api_[0-9a-f]{32}$/.test(token), `token shown once: ${token}`);
  await page.getByTestId("tokens").getByText("e2e").waitFor();
  const me = await page.request.get(base + "/api/v1/users/me/", { headers: { "X-API-Key": token } });
  check(me.status() === 200 && (await me.json()).email === "ada@example.com", `the token works: ${me.status()}`);
  await shot("api-tokens");
  await page.getByRole("button", { name: "Revoke" }).click();
  await page.getByText("No tokens yet.").waitFor();
  const revoked = await page.request.get(base + "/api/v1/users/me/", { headers: { "X-API-Key": token } });
  check(revoked.status() === 403, `a revoked token is refused: ${revoked.status()}`);

  step = "instance settings";
  await page.getByTestId("user-menu").click();
  await page.getByRole("menuitem", { name: "Instance settings" }).click();
  await page.getByRole("link", { name: "Authentication" }).click();
  await page.getByTestId("auth-form").waitFor();
  const redirect = (await page.getByTestId("copy-redirect-github").textContent())?.trim();
  check(redirect === `${base}/auth/github/callback/`, `GitHub redirect URI shown: ${redirect}`);
  await page.getByTestId("auth-form").getByText("Allow sign-up").click();
  await page.getByTestId("auth-form").getByRole("button", { name: "Save" }).click();
  await page.getByTestId("auth-form").getByText("Saved.").waitFor();
  await shot("instance-authentication");
  await page.getByRole("link", { name: "Email" }).click();
  await page.getByTestId("email-form").waitFor();
  await shot("instance-email");
  await page.getByRole("link", { name: "Users" }).click();
  await page.getByTestId("users").getByText("ada@example.com").waitFor();

  step = "sign out and in";
  await page.getByTestId("user-menu").click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await page.getByTestId("sign-in-form").waitFor();
  await page.getByLabel("Email").fill("ada@example.com");
  await page.getByLabel("Password").fill("not-my-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("The email or password is not correct.").waitFor();
  check(await page.getByText("Create an account").isVisible(), "sign-up is offered once allowed");
  await shot("sign-in-error");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByTestId("greeting").waitFor();
  // Signed in again without a reload, the instance admin still has the instance settings.
  await page.getByTestId("user-menu").click();
  await page.getByRole("menuitem", { name: "Instance settings" }).waitFor();
  await page.keyboard.press("Escape");

  step = "signed-out visitors are sent to sign-in";
  const visitor = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const anonymous = await visitor.newPage();
  await anonymous.goto(base + "/profile/security", { waitUntil: "networkidle" });
  await anonymous.getByTestId("sign-in-form").waitFor();
  check(anonymous.url().includes("next_path=%2Fprofile%2Fsecurity"), `redirected with next_path: ${anonymous.url()}`);
  step = "a refused provider sign-in is explained";
  await anonymous.goto(base + "/auth/github/?next_path=%2F", { waitUntil: "networkidle" });
  await anonymous.getByTestId("sign-in-form").getByText("Sign-in with GitHub is not set up on this instance.").waitFor();
  check(anonymous.url().includes("error_code=5110"), `Plane's code in the query: ${anonymous.url()}`);
  step = "a forged refusal link cannot put its own words on the page";
  await anonymous.goto(base + "/sign-in?error_code=5120&error_message=GITHUB_OAUTH_PROVIDER_ERROR&error=Your+account+is+locked.+Call+555-0100", { waitUntil: "networkidle" });
  await anonymous.getByTestId("sign-in-form").getByText("GitHub did not complete the sign-in").waitFor();
  check((await anonymous.getByText("555-0100").count()) === 0, "the link's own text is not shown");
  await anonymous.screenshot({ path: join(shots, "sign-in-refused.png") });
  await anonymous.goto(base + "/sign-up", { waitUntil: "networkidle" });
  await anonymous.getByRole("button", { name: "Continue" }).waitFor();
  await anonymous.screenshot({ path: join(shots, "sign-up.png") });

  check(errors.length === 0, `browser errors: ${errors.join(" | ")}`);
  console.log("web UI e2e: ok");
} catch (error) {
  console.error(`web UI e2e failed at "${step}": ${error.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
