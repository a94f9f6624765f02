// The dashboard's HTTP answers: served without a token, and never framed by another site
// (clickjacking) — the anti-framing headers must be HTTP headers, since browsers ignore
// `frame-ancestors` in a <meta> policy.
#include <algorithm>
#include <string>

#include "component/api_fixture.hpp"
#include "web/assets.hpp"

namespace axon::test {
namespace {

using ApiDashboardTest = ApiFixture;

void expect_cannot_be_framed(const HttpResponse& response, const std::string& what) {
  EXPECT_EQ(response.header("X-Frame-Options"), "DENY") << what;
  auto policy = response.header("Content-Security-Policy");
  ASSERT_TRUE(policy) << what;
  EXPECT_NE(policy->find("frame-ancestors 'none'"), std::string::npos) << *policy;
}

TEST_F(ApiDashboardTest, EveryDashboardAnswerForbidsFraming) {
  for (std::string path : {"/", "/assets/app.js", "/assets/style.css"}) {
    auto response = http().request("GET", path);
    ASSERT_EQ(response.status, 200) << path;
    expect_cannot_be_framed(response, path);
  }
  // A revalidation (304) carries them too, so a cached page is still protected.
  auto first = http().request("GET", "/");
  auto again = http().request("GET", "/", {}, {{"If-None-Match", *first.header("ETag")}});
  EXPECT_EQ(again.status, 304);
  expect_cannot_be_framed(again, "304");
}

TEST_F(ApiDashboardTest, HeaderPolicyRepeatsEveryDirectiveOfThePageOwnPolicy) {
  // index.html carries its policy in a <meta> tag; the header must not be looser.
  std::string page(web::find_web_asset("/")->bytes);
  const std::string marker = "http-equiv=\"Content-Security-Policy\"";
  auto at = page.find(marker);
  ASSERT_NE(at, std::string::npos);
  auto begin = page.find("content=\"", at) + 9;
  std::string meta_policy = page.substr(begin, page.find('"', begin) - begin);
  auto policy = http().request("GET", "/").header("Content-Security-Policy").value_or("");
  std::size_t directives = 0;
  for (std::size_t start = 0; start < meta_policy.size();) {
    auto end = std::min(meta_policy.find(';', start), meta_policy.size());
    std::string directive = meta_policy.substr(start, end - start);
    directive.erase(0, directive.find_first_not_of(' '));
    if (!directive.empty()) {
      ++directives;
      EXPECT_NE(policy.find(directive), std::string::npos) << directive << " in " << policy;
    }
    start = end + 1;
  }
  EXPECT_GE(directives, 5u) << meta_policy;
}

}  // namespace
}  // namespace axon::test
