// Helpers shared by the end-to-end scripts: the browser, checks, calls to the API from a
// signed-in page, and an SMTP sink so the scripts can read the mail the server sends.
import { chromium } from "playwright-core";
import { createServer } from "node:net";

export const PASSWORD = "orbit-velvet-cactus-91";

export function check(condition, message) {
  if (!condition) throw new Error(message);
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}

/** A page whose uncaught errors and unexpected console errors are collected in `errors`. */
export async function newPage(browser, errors, label) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.on("pageerror", (e) => errors.push(`${label}: ${e}`));
  page.on("console", (m) => {
    // The browser logs every 4xx answer; the screens handle them. Anything else is a bug.
    const handled = /Failed to load resource: the server responded with a status of 4\d\d/.test(m.text());
    if (m.type() === "error" && !handled) errors.push(`${label}: ${m.text()}`);
  });
  return page;
}

/** Calls the API from the page, with its session cookie and CSRF token; returns {status, body}. */
export async function call(page, method, path, body) {
  return page.evaluate(
    async ({ method, path, body }) => {
      const csrf = document.cookie.split(";").map((p) => p.trim().split("=")).find(([k]) => k === "csrftoken")?.[1];
      const headers = { Accept: "application/json" };
      if (body !== undefined) headers["Content-Type"] = "application/json";
      if (method !== "GET" && csrf) headers["X-CSRFToken"] = csrf;
      const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await response.text();
      let parsed = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = text;
      }
      return { status: response.status, body: parsed };
    },
    { method, path, body },
  );
}

/** Enough SMTP for lettre without TLS: keeps every message, decoded like the Rust tests do. */
export async function startSmtpSink() {
  const messages = [];
  const server = createServer((socket) => {
    socket.setEncoding("utf8");
    let buffer = "";
    let inData = false;
    let data = [];
    let to = [];
    socket.write("220 sink ESMTP\r\n");
    socket.on("data", (chunk) => {
      buffer += chunk;
      let index;
      while ((index = buffer.indexOf("\r\n")) >= 0) {
        const line = buffer.slice(0, index);
        buffer = buffer.slice(index + 2);
        if (inData) {
          if (line === ".") {
            inData = false;
            const raw = data.join("\r\n");
            const decoded = raw.replace(/=\r\n/g, "").replace(/=3D/g, "=");
            const start = decoded.indexOf("\r\n\r\n");
            messages.push({ to, text: start >= 0 ? decoded.slice(start + 4) : decoded });
            data = [];
            to = [];
            socket.write("250 OK\r\n");
          } else data.push(line.startsWith("..") ? line.slice(1) : line);
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === "EHLO") socket.write("250-sink\r\n250 8BITMIME\r\n");
        else if (verb === "HELO") socket.write("250 sink\r\n");
        else if (verb === "RCPT") {
          to.push(line.replace(/^RCPT TO:\s*<?([^>]*)>?.*$/i, "$1").toLowerCase());
          socket.write("250 OK\r\n");
        } else if (verb === "DATA") {
          inData = true;
          socket.write("354 Go ahead\r\n");
        } else if (verb === "QUIT") {
          socket.write("221 Bye\r\n");
          socket.end();
        } else socket.write("250 OK\r\n");
      }
    });
    socket.on("error", () => {});
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = server.address().port;
  /** Waits for a message to `address` whose text matches `pattern`; returns the match. */
  const waitFor = async (address, pattern, timeout = 30000) => {
    const deadline = Date.now() + timeout;
    for (;;) {
      for (const message of messages) {
        if (!message.to.includes(address)) continue;
        const match = pattern.exec(message.text);
        if (match) {
          messages.splice(messages.indexOf(message), 1);
          return match;
        }
      }
      if (Date.now() > deadline) throw new Error(`no mail to ${address} matching ${pattern} (got ${messages.length})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { port, messages, waitFor, close: () => server.close() };
}

export const CODE = /\b([a-z]{4}-[a-z]{4}-[a-z]{4})\b/;
export const INVITATION_LINK = /https?:\/\/[^/\s"<>]+(\/invitations\/[0-9a-f-]{36}\?token=[0-9a-f]{64})/;
