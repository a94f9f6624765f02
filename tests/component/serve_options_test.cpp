// The default number of HTTP threads, by store and core count.
#include <gtest/gtest.h>

#include "app/serve_options.hpp"

namespace axon {
namespace {

TEST(DefaultApiThreads, SqliteUsesOneThreadPerCoreWithinTwoToEight) {
  EXPECT_EQ(default_api_threads("sqlite:./var/axon.db", 1), 2);
  EXPECT_EQ(default_api_threads("sqlite:./var/axon.db", 2), 2);
  EXPECT_EQ(default_api_threads("sqlite:/tmp/a.db", 4), 4);
  EXPECT_EQ(default_api_threads("sqlite:/tmp/a.db", 64), 8);
}

TEST(DefaultApiThreads, PostgresKeepsMoreThreadsThanCores) {
  EXPECT_EQ(default_api_threads("postgres://u@127.0.0.1/db", 2), 8);
  EXPECT_EQ(default_api_threads("postgresql://u@127.0.0.1/db", 16), 8);
}

}  // namespace
}  // namespace axon
