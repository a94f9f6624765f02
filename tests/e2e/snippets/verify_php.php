<?php
// An Axon Webhooks receiver using only PHP's standard library.
// Run: AXON_WEBHOOK_SECRET=whsec_… php -S 127.0.0.1:3000 verify_php.php
const TOLERANCE_SECONDS = 300;

// X-Axon-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>[,v1=…]
function verify_signature(string $header, string $rawBody, string $secret): bool {
    $t = '';
    $given = [];
    foreach (explode(',', $header) as $item) {
        [$key, $value] = array_pad(explode('=', trim($item), 2), 2, '');
        if ($key === 't') $t = $value;
        if ($key === 'v1') $given[] = $value;
    }
    if (!ctype_digit($t) || abs(time() - (int) $t) > TOLERANCE_SECONDS) return false;
    $expected = hash_hmac('sha256', "$t.$rawBody", $secret);
    foreach ($given as $signature) {
        if (hash_equals($expected, $signature)) return true;
    }
    return false;
}

$rawBody = file_get_contents('php://input'); // the exact bytes: never re-serialized JSON
$header = $_SERVER['HTTP_X_AXON_SIGNATURE'] ?? '';
if (!verify_signature($header, $rawBody, getenv('AXON_WEBHOOK_SECRET'))) {
    http_response_code(400);
    exit('invalid signature');
}
http_response_code(204); // answer at once: queue the work, and skip an event id already handled
$event = json_decode($rawBody, true);
error_log("handled {$event['type']} {$event['id']}"); // the real work goes here
