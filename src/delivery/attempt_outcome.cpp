#include "delivery/attempt_outcome.hpp"

namespace axon {

AttemptContext attempt_context(const DeliveryJob& job) {
  AttemptContext context;
  context.delivery_id = job.delivery_id;
  context.endpoint_id = job.endpoint_id;
  context.attempt = job.attempt;
  context.attempt_in_series = job.attempt_in_series;
  context.tenant_id = job.tenant_id;
  context.event_id = job.event_id;
  context.event_type = job.event_type;
  context.url = job.url;
  context.operational = job.operational;
  return context;
}

AttemptResult to_attempt_result(const HttpResult& result) {
  AttemptResult r;
  const bool answered = result.error == AttemptError::none || result.error == AttemptError::http;
  r.status_code = answered ? result.status_code : 0;
  r.error = result.error;
  r.retry_after = result.retry_after;
  return r;
}

AttemptRecord make_attempt_record(const AttemptContext& context, const HttpResult& result,
                                  const Decision& decision) {
  AttemptRecord rec;
  rec.delivery_id = context.delivery_id;
  rec.endpoint_id = context.endpoint_id;
  rec.attempt.n = context.attempt;
  rec.attempt.started_at = result.started_at;
  rec.attempt.duration_ms = result.duration_ms;
  rec.attempt.status_code = result.status_code;
  rec.attempt.error = std::string(attempt_error_name(result.error));
  rec.attempt.error_message = result.error_message;
  rec.attempt.response_excerpt = utf8_excerpt(result.excerpt);
  switch (decision.verdict) {
    case Verdict::succeeded:
      rec.new_status = DeliveryStatus::succeeded;
      break;
    case Verdict::retry:
      rec.new_status = DeliveryStatus::pending;
      rec.next_attempt_at = decision.next_attempt_at;
      break;
    case Verdict::dead:
      rec.new_status = DeliveryStatus::dead;
      break;
  }
  rec.disable_endpoint = decision.disable_endpoint;
  if (decision.disable_endpoint) rec.disable_reason = decision.reason;
  return rec;
}

std::string utf8_excerpt(std::string_view s) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    unsigned min = 0;
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4, min = 0x10000;
    }
    if (len == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    if (i + len > s.size()) {
      // A truncated character at the very end is the 4 KiB cut: drop it quietly. Anything
      // else short is malformed.
      bool all_continuations = true;
      for (std::size_t k = i + 1; k < s.size(); ++k) {
        all_continuations &= (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80;
      }
      if (!all_continuations) out += kReplacement;
      break;
    }
    unsigned cp = c & (0xFF >> (len + 1));
    bool ok = true;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += kReplacement;
      ++i;
    }
  }
  return out;
}

}  // namespace axon
