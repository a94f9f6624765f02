// Starts ONE PostgreSQL server for the whole pg_tests binary and stops it at the end.
#include <gtest/gtest.h>

#include <memory>

#include "support/pg_server.hpp"

namespace axon::test {
namespace {

class PgEnvironment final : public ::testing::Environment {
 public:
  void SetUp() override {
    try {
      server_ = std::make_unique<PgServer>();
      PgServer::set_shared(server_.get());
    } catch (const std::exception& e) {
      GTEST_FAIL() << "cannot start PostgreSQL for the tests: " << e.what();
    }
  }
  void TearDown() override {
    PgServer::set_shared(nullptr);
    server_.reset();
  }

 private:
  std::unique_ptr<PgServer> server_;
};

[[maybe_unused]] ::testing::Environment* const g_environment =
    ::testing::AddGlobalTestEnvironment(new PgEnvironment);

}  // namespace
}  // namespace axon::test
