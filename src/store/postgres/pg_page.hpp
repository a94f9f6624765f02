// Keyset pagination helpers: lists fetch one row more than asked to learn whether a next
// page exists; `next` is the id of the last item returned.
// Thread-safety: stateless.
#pragma once

#include "store/postgres/pg_connection.hpp"
#include "store/rules.hpp"
#include "store/store.hpp"

namespace axon::pg {

inline int page_limit(const PageRequest& page) {
  return store_rules::clamp_page_limit(page.limit);
}
inline int page_fetch(const PageRequest& page) { return page_limit(page) + 1; }

template <class T, class Read>
Page<T> make_page(const PgResult& r, const PageRequest& page, Read read) {
  Page<T> out;
  const int limit = page_limit(page);
  for (int row = 0; row < r.rows() && row < limit; ++row) out.items.push_back(read(r, row));
  if (r.rows() > limit && !out.items.empty()) out.next = out.items.back().id;
  return out;
}

}  // namespace axon::pg
