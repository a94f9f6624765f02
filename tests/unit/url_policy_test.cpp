#include "core/url_policy.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace axon {
namespace {

std::string v4(std::string_view host) {
  auto a = parse_ip_literal(host);
  if (!a) return "name";
  if (a->v6) return "v6";
  return std::to_string(a->bytes[0]) + "." + std::to_string(a->bytes[1]) + "." +
         std::to_string(a->bytes[2]) + "." + std::to_string(a->bytes[3]);
}

TEST(ParseIpLiteral, InetAtonForms) {
  const std::pair<const char*, const char*> cases[] = {
      {"127.0.0.1", "127.0.0.1"},
      {"2130706433", "127.0.0.1"},
      {"0x7f.1", "127.0.0.1"},
      {"017700000001", "127.0.0.1"},
      {"127.1", "127.0.0.1"},
      {"0x7f000001", "127.0.0.1"},
      {"0X7F000001", "127.0.0.1"},
      {"0177.0.0.1", "127.0.0.1"},
      {"0177.0.0.01", "127.0.0.1"},
      {"127.0.1", "127.0.0.1"},
      {"0x7f.0x0.0x0.0x1", "127.0.0.1"},
      {"127.0.0.1.", "127.0.0.1"},
      {"0", "0.0.0.0"},
      {"10.1", "10.0.0.1"},
      {"169.254.43518", "169.254.169.254"},
      {"0xa9fea9fe", "169.254.169.254"},
      {"4294967295", "255.255.255.255"},
      {"8.8.8.8", "8.8.8.8"},
      {"00000000000000127.1", "87.0.0.1"},  // leading zeros: octal 0127 = 87
  };
  for (auto [in, want] : cases) EXPECT_EQ(v4(in), want) << in;
}

TEST(ParseIpLiteral, NamesAndInvalidNumbers) {
  for (const char* h : {"example.com", "localhost", "4294967296", "256.0.0.1", "1.2.3.256",
                        "1.2.65536", "1.16777216", "08.0.0.1", "0x.1", "0xg", "1.2.3.4.5", "1..2",
                        ".1.2.3", "1.2.3.4..", "", "127.0.0.1x", "1e3", "-1", "0x100000000"}) {
    EXPECT_EQ(v4(h), "name") << h;
  }
}

TEST(ParseIpLiteral, Ipv6) {
  auto a = parse_ip_literal("::1");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->v6);
  EXPECT_EQ(a->bytes[15], 1);
  auto b = parse_ip_literal("[2606:4700::1111]");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->bytes[0], 0x26);
  EXPECT_EQ(b->bytes[1], 0x06);
  auto mapped = parse_ip_literal("::ffff:127.0.0.1");
  auto mapped_hex = parse_ip_literal("::ffff:7f00:1");
  ASSERT_TRUE(mapped && mapped_hex);
  EXPECT_EQ(std::memcmp(mapped->bytes, mapped_hex->bytes, 16), 0);
  EXPECT_EQ(mapped->bytes[12], 127);
  auto zoned = parse_ip_literal("fe80::1%eth0");
  ASSERT_TRUE(zoned);
  EXPECT_EQ(zoned->bytes[0], 0xfe);
  EXPECT_FALSE(parse_ip_literal("::1::2"));
  EXPECT_FALSE(parse_ip_literal("12345::"));
  EXPECT_FALSE(parse_ip_literal("[::1"));
  EXPECT_FALSE(parse_ip_literal("::g"));
}

struct Row {
  const char* host;
  bool forbidden;
};

TEST(ForbiddenAddress, Table) {
  const Row rows[] = {
      // IPv4 ranges
      {"0.0.0.0", true},
      {"0.1.2.3", true},
      {"10.0.0.1", true},
      {"10.255.255.255", true},
      {"100.64.0.1", true},
      {"100.127.255.255", true},
      {"100.63.255.255", false},
      {"100.128.0.0", false},
      {"127.0.0.1", true},
      {"127.255.255.254", true},
      {"169.254.169.254", true},
      {"169.253.0.1", false},
      {"172.16.0.1", true},
      {"172.31.255.255", true},
      {"172.15.255.255", false},
      {"172.32.0.0", false},
      {"192.0.0.8", true},
      {"192.0.2.1", true},
      {"192.88.99.1", true},
      {"192.168.1.1", true},
      {"198.18.0.1", true},
      {"198.19.255.255", true},
      {"198.20.0.0", false},
      {"198.51.100.7", true},
      {"203.0.113.9", true},
      {"224.0.0.1", true},
      {"239.255.255.250", true},
      {"240.0.0.1", true},
      {"255.255.255.255", true},
      {"8.8.8.8", false},
      {"1.1.1.1", false},
      {"93.184.216.34", false},
      {"192.0.1.1", false},
      {"192.169.0.1", false},
      {"11.0.0.1", false},
      {"223.255.255.255", false},
      // odd IPv4 spellings of forbidden addresses
      {"2130706433", true},
      {"0x7f.1", true},
      {"017700000001", true},
      {"127.1", true},
      {"0x7f000001", true},
      {"0177.0.0.1", true},
      {"0", true},
      {"0xa9fea9fe", true},
      {"169.254.43518", true},
      {"012.0.0.1", true},
      {"3232235777", true},  // 192.168.1.1
      {"134744072", false},  // 8.8.8.8
      // IPv6
      {"::", true},
      {"::1", true},
      {"0:0:0:0:0:0:0:1", true},
      {"fc00::1", true},
      {"fd12:3456::1", true},
      {"fe80::1", true},
      {"febf::1", true},
      {"fe80::1%eth0", true},
      {"ff02::1", true},
      {"ff00::", true},
      {"2001:db8::1", true},
      {"2001:db8:ffff::1", true},
      {"fec0::1", true},
      {"100::1", true},
      {"3fff::1", true},
      {"2001::1", true},
      {"2001:0:4136:e378:8000:63bf:3fff:fdd2", true},  // Teredo
      {"2606:4700:4700::1111", false},
      {"2001:4860:4860::8888", false},
      {"2a00:1450:4001::1", false},
      {"2001:db9::1", false},
      // IPv4 inside IPv6
      {"::ffff:127.0.0.1", true},
      {"::ffff:7f00:1", true},
      {"::ffff:10.0.0.1", true},
      {"::ffff:169.254.169.254", true},
      {"::ffff:8.8.8.8", false},
      {"::ffff:0:0", true},
      {"::127.0.0.1", true},
      {"::7f00:1", true},
      {"::8.8.8.8", true},  // deprecated compat
      {"64:ff9b::127.0.0.1", true},
      {"64:ff9b::a00:1", true},
      {"64:ff9b::808:808", false},
      {"64:ff9b:1::1", true},
      {"2002:7f00:1::", true},
      {"2002:c0a8:101::1", true},
      {"2002:808:808::1", false},
  };
  for (const Row& row : rows) {
    auto ip = parse_ip_literal(row.host);
    ASSERT_TRUE(ip) << row.host;
    auto reason = forbidden_address_reason(*ip);
    EXPECT_EQ(reason.has_value(), row.forbidden) << row.host << " -> " << reason.value_or("ok");
    if (reason) {
      EXPECT_FALSE(reason->empty());
    }
  }
}

TEST(ForbiddenAddress, ReasonsNameTheRange) {
  EXPECT_EQ(*forbidden_address_reason(*parse_ip_literal("127.0.0.1")),
            "loopback address (127.0.0.0/8)");
  EXPECT_EQ(*forbidden_address_reason(*parse_ip_literal("255.255.255.255")),
            "broadcast address (255.255.255.255)");
  EXPECT_NE(forbidden_address_reason(*parse_ip_literal("::ffff:127.0.0.1"))->find("IPv4-mapped"),
            std::string::npos);
  EXPECT_NE(forbidden_address_reason(*parse_ip_literal("64:ff9b::7f00:1"))->find("NAT64"),
            std::string::npos);
  EXPECT_NE(forbidden_address_reason(*parse_ip_literal("2002:7f00:1::"))->find("6to4"),
            std::string::npos);
}

TEST(ParseEndpointUrl, Accepts) {
  auto u = parse_endpoint_url("https://example.com/hooks?x=1");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "example.com");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->path_and_query, "/hooks?x=1");

  u = parse_endpoint_url("HTTP://Example.COM:8080");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, "http");
  EXPECT_EQ(u->host, "Example.COM");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->path_and_query, "/");

  u = parse_endpoint_url("http://[2606:4700::1111]:9000/a#frag");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "2606:4700::1111");
  EXPECT_EQ(u->port, 9000);
  EXPECT_EQ(u->path_and_query, "/a");

  u = parse_endpoint_url("http://[::1]");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 80);

  u = parse_endpoint_url("https://a.example?q=%20");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->path_and_query, "/?q=%20");

  EXPECT_TRUE(parse_endpoint_url("http://127.0.0.1:1/"));
  EXPECT_TRUE(parse_endpoint_url("http://host:65535/"));
  EXPECT_TRUE(parse_endpoint_url("http://my_host.internal./x"));
  std::string longest = "https://example.com/" + std::string(2048 - 20, 'a');
  ASSERT_EQ(longest.size(), 2048u);
  EXPECT_TRUE(parse_endpoint_url(longest));
}

TEST(ParseEndpointUrl, RejectsShape) {
  const char* bad[] = {
      "",
      "example.com",
      "ftp://example.com/",
      "file:///etc/passwd",
      "gopher://example.com",
      "javascript:alert(1)",
      "http:/example.com",
      "http://",
      "http:///path",
      "http://:80/",
      "http://user:pass@example.com/",
      "http://user@example.com/",
      "http://example.com@evil.com/",
      "http://example.com:0/",
      "http://example.com:65536/",
      "http://example.com:99999999/",
      "http://example.com:/",
      "http://example.com:-1/",
      "http://example.com:8o/",
      "http://example.com:80:80/",
      "http://exa mple.com/",
      "http://example.com/ path",
      "http://example.com/\tpath",
      "http://example.com/\npath",
      "http://example.com\r\n/",
      "http://exa\x7fmple.com/",
      " http://example.com/",
      "http://exämple.com/",
      "http://::1/",
      "http://[::1/",
      "http://[::1]x/",
      "http://[not-ip]/",
      "http://[127.0.0.1]/",
      "http://[fe80::1%25eth0]/",
      "http://[]/",
      "http://exa%6dple.com/",
      "http://example..com/",
      "http://.example.com/",
      "http://example.com\\@evil.com/",
      "http://ex<ample.com/",
  };
  for (const char* url : bad) {
    auto r = parse_endpoint_url(url);
    EXPECT_FALSE(r) << url;
    if (!r) {
      EXPECT_EQ(r.error().code, Errc::validation_failed) << url;
    }
  }
  auto too_long = parse_endpoint_url("https://example.com/" + std::string(2048 - 19, 'a'));
  ASSERT_FALSE(too_long);
  EXPECT_NE(too_long.error().message.find("2048"), std::string::npos);
}

TEST(CheckEndpointUrl, RefusesLocalTargets) {
  const char* refused[] = {
      "http://localhost/",
      "http://LOCALHOST:8080/",
      "http://localhost./",
      "http://api.localhost/",
      "http://a.b.localhost./x",
      "http://127.0.0.1/",
      "http://127.0.0.1.:80/",
      "http://2130706433/",
      "http://0x7f.1/",
      "http://017700000001/",
      "http://127.1/",
      "http://0x7f000001/",
      "http://0/",
      "http://0.0.0.0:8080/",
      "http://10.1.2.3/",
      "http://192.168.0.1/",
      "http://172.20.0.1/",
      "http://169.254.169.254/latest",
      "http://100.64.0.1/",
      "http://224.0.0.1/",
      "http://255.255.255.255/",
      "https://[::1]/",
      "https://[::]/",
      "http://[::ffff:127.0.0.1]/",
      "http://[::ffff:7f00:1]/",
      "http://[::127.0.0.1]/",
      "http://[fe80::1]/",
      "http://[fd00::1]/",
      "http://[ff02::1]/",
      "http://[64:ff9b::7f00:1]/",
      "http://[2002:7f00:1::]/",
      "http://[2001:db8::1]/",
      "http://[0:0:0:0:0:0:0:1]:443/",
  };
  for (const char* url : refused) {
    auto r = check_endpoint_url(url, false);
    EXPECT_FALSE(r) << url;
    if (!r) {
      EXPECT_EQ(r.error().code, Errc::url_not_allowed) << url << ": " << r.error().message;
    }
    EXPECT_TRUE(check_endpoint_url(url, true)) << url;  // allowed in dev/test mode
  }
}

TEST(CheckEndpointUrl, AllowsPublicTargets) {
  for (const char* url :
       {"https://example.com/hook", "http://8.8.8.8/", "http://134744072/",
        "https://[2606:4700:4700::1111]/", "https://localhost.example.com/", "https://mylocalhost/",
        "http://[::ffff:8.8.8.8]/", "https://notlocalhost./"}) {
    auto r = check_endpoint_url(url, false);
    EXPECT_TRUE(r) << url << ": " << (r ? "" : r.error().message);
  }
}

TEST(CheckEndpointUrl, ShapeErrorsStayValidationFailed) {
  for (bool allow : {false, true}) {
    auto r = check_endpoint_url("ftp://127.0.0.1/", allow);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::validation_failed);
  }
  auto r = check_endpoint_url("http://127.0.0.1/", false);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("loopback"), std::string::npos);
  EXPECT_NE(r.error().message.find("--allow-private-targets"), std::string::npos);
}

}  // namespace
}  // namespace axon
