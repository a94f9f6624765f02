#include "delivery/http_sender.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <mutex>
#include <string_view>

#include "core/url_policy.hpp"
#include "core/text.hpp"
#include "delivery/egress_route.hpp"
#include "delivery/tls_context.hpp"
#include "delivery/tls_failure.hpp"

namespace axon {
namespace {


void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// The address libcurl is about to connect, in core's representation.
std::optional<IpAddress> to_ip_address(const curl_sockaddr& address) {
  IpAddress ip;
  if (address.family == AF_INET && address.addrlen >= sizeof(sockaddr_in)) {
    sockaddr_in in{};
    std::memcpy(&in, &address.addr, sizeof in);
    std::memcpy(ip.bytes, &in.sin_addr, 4);
    return ip;
  }
  if (address.family == AF_INET6 && address.addrlen >= sizeof(sockaddr_in6)) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, &address.addr, sizeof in6);
    ip.v6 = true;
    std::memcpy(ip.bytes, &in6.sin6_addr, 16);
    return ip;
  }
  return std::nullopt;
}

}  // namespace

// One reusable easy handle and the state of the transfer it currently carries.
struct Transfer {
  CURL* easy = nullptr;
  bool guard_sockets = true;  // false when the SSRF check happens before (proxy) or never
  std::uint64_t tag = 0;
  std::string url;
  std::shared_ptr<const std::string> body;  // CURLOPT_POSTFIELDS points here until completion
  curl_slist* headers = nullptr;
  curl_slist* connect_to = nullptr;  // the pinned address behind an egress proxy
  TlsConnectionNotes tls_notes;
  std::string excerpt;
  std::size_t received = 0;
  bool body_capped = false;  // we aborted the read at kMaxResponseBytes
  std::optional<std::string> retry_after;
  std::optional<std::string> blocked_reason;
  Millis started_at = 0;
  Millis started_steady = 0;  // Clock::steady_ms(), for the duration
  char error_buffer[CURL_ERROR_SIZE] = {};

  void reset_for_reuse() {
    if (headers) curl_slist_free_all(headers);
    headers = nullptr;
    if (connect_to) curl_slist_free_all(connect_to);
    connect_to = nullptr;
    url.clear();
    body.reset();  // payloads can be large; don't pin memory in idle handles
    excerpt.clear();
    received = 0;
    body_capped = false;
    retry_after.reset();
    blocked_reason.reset();
    tls_notes.client_certificate_requested = false;
    error_buffer[0] = '\0';
  }

  static size_t on_body(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const size_t n = size * count;
    if (t->excerpt.size() < HttpSender::kExcerptBytes) {
      t->excerpt.append(data, std::min(n, HttpSender::kExcerptBytes - t->excerpt.size()));
    }
    t->received += n;
    if (t->received > HttpSender::kMaxResponseBytes) {
      t->body_capped = true;
      return 0;  // abort: libcurl reports CURLE_WRITE_ERROR, judged by the status code
    }
    return n;
  }

  static size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const size_t n = size * count;
    std::string_view line(data, n);
    if (istarts_with(line, "HTTP/")) {
      t->retry_after.reset();  // a new response (e.g. after 100 Continue) starts over
    } else if (istarts_with(line, "retry-after:")) {
      t->retry_after = std::string(trim(line.substr(12)));
    }
    return n;
  }

  static curl_socket_t on_open_socket(void* user, curlsocktype purpose, curl_sockaddr* address) {
    auto* t = static_cast<Transfer*>(user);
    if (t->guard_sockets && purpose == CURLSOCKTYPE_IPCXN) {
      auto ip = to_ip_address(*address);
      if (!ip) {
        t->blocked_reason = "address family not allowed";
        return CURL_SOCKET_BAD;
      }
      if (auto reason = forbidden_address_reason(*ip)) {
        t->blocked_reason = std::move(*reason);
        return CURL_SOCKET_BAD;
      }
    }
    return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
  }
};

struct HttpSender::Impl {
  const Clock& clock;
  HttpSenderOptions options;
  CURLM* multi = nullptr;
  CURLSH* share = nullptr;  // TLS sessions and DNS answers, shared by every handle
  std::shared_ptr<const ExtraTrust> extra_trust;  // null without --ca-file
  std::optional<DestinationPinner> pinner;        // set with an egress proxy
  std::vector<std::unique_ptr<Transfer>> all;
  std::vector<Transfer*> free_list;
  std::vector<HttpResult> setup_failures;  // reported on the next poll()
  std::size_t active = 0;

  Impl(const Clock& c, HttpSenderOptions o) : clock(c), options(std::move(o)) {
    global_init_once();
    if (!options.egress.extra_ca_pem.empty()) {
      // serve checked the file at startup; a bad one here is a programming error.
      if (auto parsed = ExtraTrust::parse(options.egress.extra_ca_pem)) extra_trust = *parsed;
    }
    if (options.egress.proxy) pinner.emplace(clock, resolve_host, options.allow_private);
    share = curl_share_init();
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_PIPELINING, long{CURLPIPE_NOTHING});
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, options.max_host_connections);
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, options.max_cached_connections);
  }

  ~Impl() {
    abort_all();
    for (auto& t : all) {
      t->reset_for_reuse();
      curl_easy_cleanup(t->easy);
    }
    curl_multi_cleanup(multi);
    curl_share_cleanup(share);
  }

  Transfer* acquire() {
    if (!free_list.empty()) {
      Transfer* t = free_list.back();
      free_list.pop_back();
      return t;
    }
    auto t = std::make_unique<Transfer>();
    t->easy = curl_easy_init();
    if (!t->easy) return nullptr;
    // Behind a proxy the socket goes to the proxy: the destination is checked in submit().
    t->guard_sockets = !options.allow_private && !options.egress.proxy;
    configure_once(*t);
    all.push_back(std::move(t));
    return all.back().get();
  }

  // Options that never change for a handle, set when it is created.
  void configure_once(Transfer& t) {
    CURL* e = t.easy;
    const long timeout = static_cast<long>(options.request_timeout);
    const long connect_timeout =
        static_cast<long>(std::min(options.connect_timeout, options.request_timeout));
    curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_NOPROGRESS, 1L);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 0L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_SHARE, share);
    // Never http_proxy & co. from the environment: the configured proxy, or none.
    curl_easy_setopt(e, CURLOPT_PROXY, options.egress.proxy ? options.egress.proxy->c_str() : "");
    curl_easy_setopt(e, CURLOPT_NOPROXY, "");
    // A tunnel for http too: the proxy connects to the checked address, never resolves.
    if (options.egress.proxy) curl_easy_setopt(e, CURLOPT_HTTPPROXYTUNNEL, 1L);
    // The system store is the CA bundle file alone (Debian's ca-certificates writes the same
    // certificates to the bundle and to /etc/ssl/certs): libcurl then parses it once and
    // shares the parsed store across connections for an hour, instead of parsing ~150
    // certificates for every new TLS connection (it caches only without a CA directory).
    curl_easy_setopt(e, CURLOPT_CAPATH, nullptr);
    curl_easy_setopt(e, CURLOPT_CA_CACHE_TIMEOUT, 3600L);
    if (options.egress.system_ca_file) {
      curl_easy_setopt(e, CURLOPT_CAINFO, options.egress.system_ca_file->c_str());
    }
    t.tls_notes.extra_trust = extra_trust.get();
    install_tls_context_hook(e, &t.tls_notes);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, long{CURL_HTTP_VERSION_1_1});
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Transfer::on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Transfer::on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, &Transfer::on_open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, &t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.error_buffer);
  }

  // A request that ends before any transfer starts; reported on the next poll().
  void fail_early(std::uint64_t tag, Millis started_at, AttemptError error, std::string message) {
    HttpResult r;
    r.tag = tag;
    r.error = error;
    r.error_message = std::move(message);
    r.started_at = started_at;
    setup_failures.push_back(std::move(r));
  }

  void submit(HttpRequest request, std::uint64_t tag) {
    const Millis started_at = clock.now_ms();
    curl_slist* connect_to = nullptr;
    if (pinner) {  // resolve and check before the proxy hears of the destination
      auto route = pinner->route(request.url);
      if (auto* refused = std::get_if<RouteRefusal>(&route)) {
        fail_early(tag, started_at, refused->error, std::move(refused->message));
        return;
      }
      connect_to = curl_slist_append(nullptr, std::get<PinnedRoute>(route).connect_to.c_str());
    }
    Transfer* t = acquire();
    if (!t) {
      if (connect_to) curl_slist_free_all(connect_to);
      fail_early(tag, started_at, AttemptError::connect, "could not create an HTTP handle");
      return;
    }
    t->connect_to = connect_to;
    t->tag = tag;
    t->url = std::move(request.url);
    t->body = std::move(request.body);
    t->started_at = started_at;
    t->started_steady = clock.steady_ms();
    std::string line;
    for (const auto& [name, value] : request.headers) {
      line.assign(name);
      // libcurl sends "Name;" as a header with an empty value ("Name:" would remove it).
      if (value.empty()) {
        line += ';';
      } else {
        line += ": ";
        line += value;
      }
      t->headers = curl_slist_append(t->headers, line.c_str());
    }
    // No "Expect: 100-continue" round trip for larger bodies.
    t->headers = curl_slist_append(t->headers, "Expect:");
    CURL* e = t->easy;
    curl_easy_setopt(e, CURLOPT_URL, t->url.c_str());
    if (!t->body) t->body = std::make_shared<const std::string>();
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body->data());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->body->size()));
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_CONNECT_TO, t->connect_to);
    set_client_certificate(e, request);
    if (curl_multi_add_handle(multi, e) != CURLM_OK) {
      fail_early(tag, started_at, AttemptError::connect, "could not start the HTTP transfer");
      release(t);
      return;
    }
    ++active;
  }

  // libcurl copies the PEM (CURL_BLOB_COPY); a handle without one presents none. Connections
  // are only reused for requests with the same client certificate.
  static void set_client_certificate(CURL* e, HttpRequest& request) {
    if (request.client_certificate_pem.empty() || request.client_key_pem.empty()) {
      curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, nullptr);
      curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, nullptr);
      return;
    }
    curl_blob cert{request.client_certificate_pem.data(), request.client_certificate_pem.size(),
                   CURL_BLOB_COPY};
    curl_blob key{request.client_key_pem.data(), request.client_key_pem.size(), CURL_BLOB_COPY};
    curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &cert);
    curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
    curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &key);
    OPENSSL_cleanse(request.client_key_pem.data(), request.client_key_pem.size());
  }

  void release(Transfer* t) {
    t->reset_for_reuse();
    free_list.push_back(t);
  }

  HttpResult finish(Transfer* t, CURLcode code) {
    HttpResult r;
    r.tag = t->tag;
    r.started_at = t->started_at;
    r.duration_ms = static_cast<int>(clock.steady_ms() - t->started_steady);
    long status = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    r.status_code = static_cast<int>(status);
    char* address = nullptr;
    if (curl_easy_getinfo(t->easy, CURLINFO_PRIMARY_IP, &address) == CURLE_OK && address) {
      r.remote_address = address;
    }
    r.retry_after = std::move(t->retry_after);
    r.excerpt = std::move(t->excerpt);
    classify(*t, code, r);
    return r;
  }

  static void classify(const Transfer& t, CURLcode code, HttpResult& r) {
    const bool complete = code == CURLE_OK || (code == CURLE_WRITE_ERROR && t.body_capped);
    if (complete && r.status_code > 0) {
      if (r.status_code >= 200 && r.status_code <= 299) return;
      r.error = AttemptError::http;
      r.error_message = "HTTP " + std::to_string(r.status_code);
      return;
    }
    if (t.blocked_reason) {
      r.error = AttemptError::blocked;
      r.error_message = "connection refused by the SSRF guard: " + *t.blocked_reason;
      return;
    }
    long verify_result = 0;
    curl_easy_getinfo(t.easy, CURLINFO_SSL_VERIFYRESULT, &verify_result);
    if (code == CURLE_OPERATION_TIMEDOUT) {
      r.error = AttemptError::timeout;
    } else if (code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_RESOLVE_PROXY) {
      r.error = AttemptError::dns;
    } else if (auto tls = describe_tls_failure(
                   {code, verify_result, t.error_buffer, t.tls_notes.client_certificate_requested})) {
      r.error = AttemptError::tls;
      r.error_message = std::move(*tls);
      return;
    } else {
      r.error = AttemptError::connect;  // refused, reset, empty reply, send/recv errors
    }
    r.error_message = curl_easy_strerror(code);
    if (t.error_buffer[0] != '\0') {
      r.error_message += ": ";
      r.error_message += t.error_buffer;
    }
  }

  std::vector<HttpResult> poll(Millis timeout_ms) {
    std::vector<HttpResult> out;
    int running = 0;
    curl_multi_perform(multi, &running);
    drain(out);
    if (out.empty() && setup_failures.empty() && timeout_ms > 0) {
      const int wait = static_cast<int>(std::min<Millis>(timeout_ms, 60'000));
      curl_multi_poll(multi, nullptr, 0, wait, nullptr);
      curl_multi_perform(multi, &running);
      drain(out);
    }
    for (auto& r : setup_failures) out.push_back(std::move(r));
    setup_failures.clear();
    return out;
  }

  void drain(std::vector<HttpResult>& out) {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURL* e = msg->easy_handle;
      const CURLcode code = msg->data.result;
      Transfer* t = nullptr;
      curl_easy_getinfo(e, CURLINFO_PRIVATE, &t);
      out.push_back(finish(t, code));
      curl_multi_remove_handle(multi, e);
      --active;
      release(t);
    }
  }

  std::vector<std::uint64_t> abort_all() {
    std::vector<std::uint64_t> tags;
    for (auto& t : all) {
      if (std::find(free_list.begin(), free_list.end(), t.get()) != free_list.end()) continue;
      curl_multi_remove_handle(multi, t->easy);
      tags.push_back(t->tag);
      release(t.get());
    }
    for (auto& r : setup_failures) tags.push_back(r.tag);
    setup_failures.clear();
    active = 0;
    return tags;
  }
};

HttpSender::HttpSender(const Clock& clock, HttpSenderOptions options)
    : impl_(std::make_unique<Impl>(clock, options)) {}
HttpSender::~HttpSender() = default;

void HttpSender::submit(HttpRequest request, std::uint64_t tag) {
  impl_->submit(std::move(request), tag);
}
std::vector<HttpResult> HttpSender::poll(Millis timeout_ms) { return impl_->poll(timeout_ms); }
void HttpSender::wakeup() { curl_multi_wakeup(impl_->multi); }
std::vector<std::uint64_t> HttpSender::abort_all() { return impl_->abort_all(); }
std::size_t HttpSender::in_flight() const { return impl_->active + impl_->setup_failures.size(); }

}  // namespace axon
