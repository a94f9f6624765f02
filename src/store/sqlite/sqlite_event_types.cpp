// SqliteStore: the event-type catalogue (table event_types, migration v2).
#include "store/sqlite/sqlite_store_internal.hpp"
#include "store/rules.hpp"

namespace axon::sqlite {
namespace {

#define AXON_SQL_EVENT_TYPE_COLS \
  "tenant_id, name, description, deprecated, schema, version, created_at, updated_at"

EventType read_event_type(const Statement& st) {
  EventType t;
  t.tenant_id = st.text_at(0);
  t.name = st.text_at(1);
  t.description = st.text_at(2);
  t.deprecated = st.int_at(3) != 0;
  t.schema = st.optional_text_at(4);
  t.version = st.int_at(5);
  t.created_at = st.int64_at(6);
  t.updated_at = st.int64_at(7);
  return t;
}

std::optional<EventType> find_event_type(Connection& c, std::string_view tenant_id,
                                         std::string_view name) {
  auto st = c.prepare("SELECT " AXON_SQL_EVENT_TYPE_COLS
                      " FROM event_types WHERE tenant_id = ? AND name = ?")
                .bind_all(tenant_id, name);
  if (!st.step()) return std::nullopt;
  return read_event_type(st);
}

}  // namespace

Result<EventType> SqliteStore::create_event_type(const EventType& type) {
  return write([&](Connection& c) -> Result<EventType> {
    WriteTransaction tx(c);
    auto tenant = c.prepare("SELECT 1 FROM tenants WHERE id = ?").bind_all(type.tenant_id);
    if (!tenant.step()) return store_rules::fail_not_found(Resource::tenant);
    if (find_event_type(c, type.tenant_id, type.name)) {
      return fail(Errc::conflict, "an event type with this name exists");
    }
    c.prepare("INSERT INTO event_types (" AXON_SQL_EVENT_TYPE_COLS
              ") VALUES (?, ?, ?, ?, ?, 1, ?, ?)")
        .bind_all(type.tenant_id, type.name, type.description,
                  static_cast<std::int64_t>(type.deprecated ? 1 : 0), type.schema, type.created_at,
                  type.created_at)
        .run();
    tx.commit();
    EventType stored = type;
    stored.version = 1;
    stored.updated_at = type.created_at;
    return stored;
  });
}

Result<EventType> SqliteStore::get_event_type(std::string_view tenant_id, std::string_view name) {
  return read([&](Connection& c) -> Result<EventType> {
    auto found = find_event_type(c, tenant_id, name);
    if (!found) return store_rules::fail_not_found(Resource::event_type);
    return *found;
  });
}

Result<Page<EventType>> SqliteStore::list_event_types(std::string_view tenant_id,
                                                      const PageRequest& page) {
  const int limit = clamp_page_limit(page.limit);
  return read([&](Connection& c) -> Result<Page<EventType>> {
    auto st = c.prepare("SELECT " AXON_SQL_EVENT_TYPE_COLS
                        " FROM event_types WHERE tenant_id = ? AND name > ?"
                        " ORDER BY name ASC LIMIT ?")
                  .bind_all(tenant_id, page.after.value_or(""), limit + 1);
    Page<EventType> result;
    while (st.step()) result.items.push_back(read_event_type(st));
    if (static_cast<int>(result.items.size()) > limit) {
      result.items.resize(static_cast<std::size_t>(limit));
      result.next = result.items.back().name;
    }
    return result;
  });
}

Result<EventType> SqliteStore::update_event_type(std::string_view tenant_id,
                                                 std::string_view name,
                                                 const EventTypePatch& patch, Millis now) {
  return write([&](Connection& c) -> Result<EventType> {
    WriteTransaction tx(c);
    auto found = find_event_type(c, tenant_id, name);
    if (!found) return store_rules::fail_not_found(Resource::event_type);
    EventType t = std::move(*found);
    apply_patch(t, patch, now);
    c.prepare(
         "UPDATE event_types SET description = ?, deprecated = ?, schema = ?, version = ?,"
         " updated_at = ? WHERE tenant_id = ? AND name = ?")
        .bind_all(t.description, static_cast<std::int64_t>(t.deprecated ? 1 : 0), t.schema,
                  static_cast<std::int64_t>(t.version), t.updated_at, tenant_id, name)
        .run();
    tx.commit();
    return t;
  });
}

Result<void> SqliteStore::delete_event_type(std::string_view tenant_id, std::string_view name) {
  return write([&](Connection& c) -> Result<void> {
    c.prepare("DELETE FROM event_types WHERE tenant_id = ? AND name = ?")
        .bind_all(tenant_id, name)
        .run();
    if (c.changes() == 0) return store_rules::fail_not_found(Resource::event_type);
    return {};
  });
}

}  // namespace axon::sqlite
