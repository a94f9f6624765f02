// bench_blaster: scenario 5, the raw ceiling. A minimal libcurl-multi client that POSTs the
// same ~1 KiB signed bodies, with the same headers a receiver gets from Axon (docs/receiving.md),
// to the receiver's ports round robin, with N concurrent keep-alive transfers on one thread
// (like the dispatcher) and no store at all. Each request is signed afresh (both schemes).
//
//   bench_blaster --port-list P1,P2,… [--concurrency 64] [--seconds 5] [--warmup 0.5]
//
// Prints: RESULT scenario=ceiling concurrency=C requests=N seconds=S rate=R errors=E
#include <curl/curl.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <string>
#include <vector>

#include "payload.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Transfer {
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string url;
  std::uint64_t seq = 0;
};

std::size_t discard(char*, std::size_t size, std::size_t n, void*) { return size * n; }

struct Blaster {
  std::string body;
  std::string secret = "whsec_" + bench::to_base64(std::string(32, '\x2a'));
  std::string secret_key = bench::from_base64(secret.substr(6));
  std::string event_id = "evt_01JDZ8Q3V6K2W9X4Y5Z6A7B8C9";
  std::uint64_t next_seq = 0;

  // Fresh headers for one request: a new timestamp and both signatures, as the server does.
  curl_slist* headers_for(std::uint64_t seq) {
    std::string t = std::to_string(std::time(nullptr));
    std::string v1 = bench::to_hex(bench::hmac_sha256(secret, t + "." + body));
    std::string std_sig =
        bench::to_base64(bench::hmac_sha256(secret_key, event_id + "." + t + "." + body));
    char delivery[40];
    std::snprintf(delivery, sizeof delivery, "dlv_%026llu", static_cast<unsigned long long>(seq));
    curl_slist* h = nullptr;
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, "User-Agent: Axon-Webhooks/0.1.0");
    h = curl_slist_append(h, "X-Axon-Event: order.updated");
    h = curl_slist_append(h, ("X-Axon-Event-Id: " + event_id).c_str());
    h = curl_slist_append(h, (std::string("X-Axon-Delivery-Id: ") + delivery).c_str());
    h = curl_slist_append(h, "X-Axon-Attempt: 1");
    h = curl_slist_append(h, ("X-Axon-Signature: t=" + t + ",v1=" + v1).c_str());
    h = curl_slist_append(h, ("webhook-id: " + event_id).c_str());
    h = curl_slist_append(h, ("webhook-timestamp: " + t).c_str());
    h = curl_slist_append(h, ("webhook-signature: v1," + std_sig).c_str());
    h = curl_slist_append(h, "Expect:");
    return h;
  }

  void arm(Transfer& t) {
    if (t.headers) curl_slist_free_all(t.headers);
    t.seq = next_seq++;
    t.headers = headers_for(t.seq);
    curl_easy_setopt(t.easy, CURLOPT_HTTPHEADER, t.headers);
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> ports;
  int concurrency = 64;
  double seconds = 5, warmup = 0.5;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--port-list") {
      std::size_t pos = 0;
      while (pos <= v.size()) {
        std::size_t comma = v.find(',', pos);
        if (comma == std::string::npos) comma = v.size();
        ports.push_back(v.substr(pos, comma - pos));
        pos = comma + 1;
      }
    } else if (a == "--concurrency") {
      concurrency = std::stoi(v);
    } else if (a == "--seconds") {
      seconds = std::stod(v);
    } else if (a == "--warmup") {
      warmup = std::stod(v);
    } else {
      std::cerr << "unknown option " << a << "\n";
      return 2;
    }
  }
  if (ports.empty()) {
    std::cerr << "usage: bench_blaster --port-list P1,P2,… [--concurrency N] [--seconds S]\n";
    return 2;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  Blaster b;
  b.body = "{\"id\":\"" + b.event_id +
           "\",\"type\":\"order.updated\",\"tenant_id\":\"ten_01JDZ8Q3V6K2W9X4Y5Z6A7B8C9\","
           "\"created_at\":\"2026-11-29T01:02:03.456Z\",\"data\":" +
           bench::event_data(1) + "}";

  CURLM* multi = curl_multi_init();
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(concurrency * 2));
  std::vector<Transfer> transfers(static_cast<std::size_t>(concurrency));
  for (std::size_t i = 0; i < transfers.size(); ++i) {
    Transfer& t = transfers[i];
    t.easy = curl_easy_init();
    t.url = "http://127.0.0.1:" + ports[i % ports.size()] + "/hook";
    curl_easy_setopt(t.easy, CURLOPT_URL, t.url.c_str());
    curl_easy_setopt(t.easy, CURLOPT_PRIVATE, &t);
    curl_easy_setopt(t.easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(t.easy, CURLOPT_POST, 1L);
    curl_easy_setopt(t.easy, CURLOPT_POSTFIELDS, b.body.data());
    curl_easy_setopt(t.easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(b.body.size()));
    curl_easy_setopt(t.easy, CURLOPT_HTTP_VERSION, long{CURL_HTTP_VERSION_1_1});
    curl_easy_setopt(t.easy, CURLOPT_WRITEFUNCTION, &discard);
    curl_easy_setopt(t.easy, CURLOPT_TIMEOUT_MS, 15000L);
    b.arm(t);
    curl_multi_add_handle(multi, t.easy);
  }

  const auto start = Clock::now();
  const auto count_from = start + std::chrono::duration<double>(warmup);
  const auto end = count_from + std::chrono::duration<double>(seconds);
  long long ok = 0, errors = 0;
  int running = 0;
  while (true) {
    curl_multi_perform(multi, &running);
    int left = 0;
    auto now = Clock::now();
    while (CURLMsg* m = curl_multi_info_read(multi, &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      Transfer* t = nullptr;
      curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &t);
      long status = 0;
      curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status);
      bool good = m->data.result == CURLE_OK && status >= 200 && status < 300;
      if (now >= count_from && now < end) (good ? ok : errors)++;
      curl_multi_remove_handle(multi, t->easy);
      if (now < end) {
        b.arm(*t);
        curl_multi_add_handle(multi, t->easy);
      }
    }
    if (now >= end) break;
    curl_multi_poll(multi, nullptr, 0, 100, nullptr);
  }
  for (auto& t : transfers) {
    curl_multi_remove_handle(multi, t.easy);
    curl_easy_cleanup(t.easy);
    curl_slist_free_all(t.headers);
  }
  curl_multi_cleanup(multi);
  std::printf("RESULT scenario=ceiling concurrency=%d requests=%lld seconds=%.3f rate=%.0f errors=%lld\n",
              concurrency, ok, seconds, static_cast<double>(ok) / seconds, errors);
  return ok > 0 ? 0 : 1;
}
