// PostgresStore: the event-type catalogue (table axon.event_types, migration v3).
#include "store/postgres/postgres_store.hpp"
#include "store/rules.hpp"

#include <algorithm>

namespace axon::pg {
namespace {

constexpr std::string_view kEventTypeColumns =
    "tenant_id, name, description, deprecated, schema, version, created_at, updated_at";

EventType read_event_type(const PgResult& r, int row) {
  EventType t;
  t.tenant_id = r.text(row, 0);
  t.name = r.text(row, 1);
  t.description = r.text(row, 2);
  t.deprecated = r.boolean(row, 3);
  t.schema = r.opt_text(row, 4);
  t.version = r.i32(row, 5);
  t.created_at = r.i64(row, 6);
  t.updated_at = r.i64(row, 7);
  return t;
}

std::string select_event_types(std::string_view where) {
  return std::string("SELECT ").append(kEventTypeColumns).append(" FROM axon.event_types ").append(
      where);
}

}  // namespace

Result<EventType> PostgresStore::create_event_type(const EventType& type) {
  return transact("create_event_type", [&](Transaction& tx) {
    PgResult r = tx.exec(
        std::string("INSERT INTO axon.event_types (").append(kEventTypeColumns) +
            ") SELECT $1, $2, $3, $4, $5, 1, $6, $6"
            " WHERE EXISTS (SELECT 1 FROM axon.tenants WHERE id = $1) RETURNING " +
            std::string(kEventTypeColumns),
        Params(type.tenant_id, type.name, type.description, type.deprecated, type.schema,
                   type.created_at));
    if (r.rows() == 0) raise(store_rules::not_found(Resource::tenant));
    return read_event_type(r, 0);
  });
}

Result<EventType> PostgresStore::get_event_type(std::string_view tenant_id,
                                                std::string_view name) {
  return transact("get_event_type", [&](Transaction& tx) {
    PgResult r = tx.exec(select_event_types("WHERE tenant_id = $1 AND name = $2"),
                             Params(tenant_id, name));
    if (r.rows() == 0) raise(store_rules::not_found(Resource::event_type));
    return read_event_type(r, 0);
  });
}

Result<Page<EventType>> PostgresStore::list_event_types(std::string_view tenant_id,
                                                        const PageRequest& page) {
  const int limit = page.limit <= 0 ? 50 : std::min(page.limit, 1000);
  return transact("list_event_types", [&](Transaction& tx) {
    PgResult r = tx.exec(
        select_event_types("WHERE tenant_id = $1 AND ($2::text IS NULL OR name > $2) "
                           "ORDER BY name COLLATE \"C\" ASC LIMIT $3"),
        Params(tenant_id, page.after, limit + 1));
    Page<EventType> result;
    for (int i = 0; i < r.rows() && i < limit; ++i) result.items.push_back(read_event_type(r, i));
    if (r.rows() > limit) result.next = result.items.back().name;
    return result;
  });
}

Result<EventType> PostgresStore::update_event_type(std::string_view tenant_id,
                                                   std::string_view name,
                                                   const EventTypePatch& patch, Millis now) {
  return transact("update_event_type", [&](Transaction& tx) {
    PgResult r = tx.exec(
        select_event_types("WHERE tenant_id = $1 AND name = $2 FOR UPDATE"),
        Params(tenant_id, name));
    if (r.rows() == 0) raise(store_rules::not_found(Resource::event_type));
    EventType t = read_event_type(r, 0);
    apply_patch(t, patch, now);
    tx.exec(
        "UPDATE axon.event_types SET description = $3, deprecated = $4, schema = $5, "
        "version = $6, updated_at = $7 WHERE tenant_id = $1 AND name = $2",
        Params(tenant_id, name, t.description, t.deprecated, t.schema, t.version,
                   t.updated_at));
    return t;
  });
}

Result<void> PostgresStore::delete_event_type(std::string_view tenant_id, std::string_view name) {
  return transact("delete_event_type", [&](Transaction& tx) {
    PgResult r = tx.exec(
        "DELETE FROM axon.event_types WHERE tenant_id = $1 AND name = $2 RETURNING name",
        Params(tenant_id, name));
    if (r.rows() == 0) raise(store_rules::not_found(Resource::event_type));
  });
}

}  // namespace axon::pg
