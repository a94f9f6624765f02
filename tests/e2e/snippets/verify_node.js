// An Axon Webhooks receiver using only Node's standard library.
// Run: AXON_WEBHOOK_SECRET=whsec_… PORT=3000 node verify_node.js
const crypto = require("node:crypto");
const http = require("node:http");

const SECRET = process.env.AXON_WEBHOOK_SECRET; // the endpoint's secret, "whsec_…"
const TOLERANCE_SECONDS = 5 * 60;
const seen = new Set(); // event ids already handled: use your database in production

// X-Axon-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>[,v1=…]
function verifySignature(header, rawBody, secret) {
  const items = (header || "").split(",").map((item) => item.trim().split("="));
  const t = Number(items.find(([key]) => key === "t")?.[1]);
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > TOLERANCE_SECONDS) return false;
  const expected = crypto.createHmac("sha256", secret).update(`${t}.`).update(rawBody).digest();
  return items.some(([key, value]) => {
    const given = Buffer.from(key === "v1" ? value || "" : "", "hex");
    return given.length === expected.length && crypto.timingSafeEqual(given, expected);
  });
}

function handle(event) {
  console.log(`handled ${event.type} ${event.id}`); // the real work goes here
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    const rawBody = Buffer.concat(chunks); // the exact bytes: never re-serialized JSON
    if (!verifySignature(req.headers["x-axon-signature"], rawBody, SECRET)) {
      res.writeHead(400).end("invalid signature");
      return;
    }
    res.writeHead(204).end(); // answer at once, work afterwards
    const eventId = req.headers["x-axon-event-id"];
    if (seen.has(eventId)) return; // a redelivery: already handled
    seen.add(eventId);
    setImmediate(handle, JSON.parse(rawBody));
  });
});
server.listen(Number(process.env.PORT || 3000), "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
