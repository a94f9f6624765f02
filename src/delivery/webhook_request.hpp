// The request a receiver gets for one delivery attempt (docs/receiving.md): the endpoint's custom
// headers first, then ours (which they can never override), with both signature schemes
// computed over the stored payload bytes — nothing is re-serialised.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "store/models.hpp"
#include "store/store.hpp"

namespace axon {

// True for names an endpoint's custom headers may not set: ours (X-Axon-*, webhook-*,
// Content-Type, User-Agent) and those that would break the HTTP framing.
bool is_reserved_header(std::string_view name);

// Every header of the POST for `job`. `secrets` are the opened signing secrets, current
// first; `t` is the signature timestamp in Unix seconds.
HeaderList webhook_headers(const DeliveryJob& job, std::span<const std::string> secrets,
                           std::int64_t t, std::string_view user_agent);

}  // namespace axon
