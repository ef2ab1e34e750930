// End-to-end check of the web UI in headless Chromium (Debian's `chromium` + playwright-core).
// Usage: node e2e/run.mjs BASE_URL SCREENSHOT_DIR EXPECTED_VERSION
// Exits non-zero with a message when the UI does not behave.
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

try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));

  await page.goto(base + "/", { waitUntil: "networkidle" });
  check((await page.title()) === "Plane", `title is ${await page.title()}`);
  await page.getByTestId("readiness").filter({ hasText: "Ready" }).waitFor({ timeout: 10000 });
  const shown = await page.getByTestId("version").textContent();
  check(shown === `v${version}`, `version shown is ${shown}, expected v${version}`);
  for (const part of ["database", "kv", "storage", "queue"]) {
    const row = await page.getByTestId(`check-${part}`).textContent();
    check(row?.includes("Reachable"), `check ${part}: ${row}`);
  }
  await page.screenshot({ path: join(shots, "home.png"), fullPage: true });

  await page.goto(base + "/no/such/screen", { waitUntil: "networkidle" });
  await page.getByTestId("not-found").waitFor();
  check((await page.getByTestId("not-found").textContent())?.includes("/no/such/screen"), "not-found names the path");
  await page.screenshot({ path: join(shots, "not-found.png") });
  await page.getByRole("button", { name: "Go to the home page" }).click();
  await page.getByTestId("readiness").waitFor();
  check(new URL(page.url()).pathname === "/", `navigated to ${page.url()}`);

  const api = await page.request.get(base + "/api/schema/swagger-ui/");
  check(api.status() === 200, `swagger-ui answered ${api.status()}`);

  check(errors.length === 0, `browser errors: ${errors.join(" | ")}`);
  console.log("web UI e2e: ok");
} catch (error) {
  console.error(`web UI e2e failed: ${error.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
