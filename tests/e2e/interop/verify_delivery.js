// Verifies one delivery with the verifiers receivers already use: the npm packages
// standardwebhooks, svix and stripe. Reads {secret, headers, body_base64} as JSON on stdin
// (headers with lower-case names, the body exactly as received) and prints one JSON object:
// {"standardwebhooks": {"ok": true, "event": {...}} | {"ok": false, "error": "..."}, ...}.
"use strict";
const { Webhook: StandardWebhook } = require("standardwebhooks");
const { Webhook: SvixWebhook } = require("svix");
const Stripe = require("stripe");
const fs = require("node:fs");
const path = require("node:path");

// Installed versions (read from disk: stripe's package.json is not in its "exports").
function version(name) {
  const file = path.join(__dirname, "node_modules", name, "package.json");
  return JSON.parse(fs.readFileSync(file, "utf8")).version;
}

function attempt(fn) {
  try {
    return { ok: true, event: fn() };
  } catch (error) {
    return { ok: false, error: String(error && error.message ? error.message : error) };
  }
}

const chunks = [];
process.stdin.on("data", (chunk) => chunks.push(chunk));
process.stdin.on("end", () => {
  const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const body = Buffer.from(input.body_base64, "base64");
  const headers = input.headers;
  // No API calls are made: constructEvent is local HMAC work. The key is never used.
  const stripe = new Stripe("sk_test_interop_not_used");
  const result = {
    standardwebhooks: attempt(() =>
      new StandardWebhook(input.secret).verify(body.toString("utf8"), headers)),
    svix: attempt(() => new SvixWebhook(input.secret).verify(body.toString("utf8"), headers)),
    stripe: attempt(() =>
      stripe.webhooks.constructEvent(body, headers["x-axon-signature"], input.secret)),
    versions: {
      standardwebhooks: version("standardwebhooks"),
      svix: version("svix"),
      stripe: version("stripe"),
      "svix/node_modules/standardwebhooks": version("svix/node_modules/standardwebhooks"),
    },
  };
  process.stdout.write(JSON.stringify(result) + "\n");
});
