#include "app/egress_options.hpp"

#include <fstream>
#include <sstream>

#include "delivery/egress_route.hpp"
#include "delivery/tls_context.hpp"

namespace axon {

Result<EgressOptions> load_egress_options(const std::optional<std::string>& ca_file,
                                          const std::optional<std::string>& egress_proxy) {
  EgressOptions egress;
  if (ca_file) {
    std::ifstream in(*ca_file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in) return fail(Errc::invalid_request, "--ca-file: cannot read " + *ca_file);
    auto trust = ExtraTrust::parse(text.str());
    if (!trust) return fail(Errc::invalid_request, "--ca-file " + *ca_file + ": " + trust.error().message);
    egress.extra_ca_pem = text.str();
  }
  if (egress_proxy) {
    auto proxy = check_egress_proxy_url(*egress_proxy);
    if (!proxy) return fail(Errc::invalid_request, "--egress-proxy: " + proxy.error().message);
    egress.proxy = *proxy;
  }
  return egress;
}

}  // namespace axon
